"""The API answers in the caller's language: problem titles and details follow Accept-Language, while
status codes, field names and machine values stay the same; answers that hold words are kept per
language (a Russian answer is never served to an English caller)."""

from __future__ import annotations

from tests.api.conftest import Api

RU = {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


def test_problems_speak_russian_and_keep_their_fields(api: Api) -> None:
    ru = api.post("/clients", {"name": " ", "email": "no-at-sign"}, headers=RU)
    en = api.post("/clients", {"name": " ", "email": "no-at-sign"}, headers=EN)
    assert ru.status_code == en.status_code == 422
    assert ru.headers["Content-Language"] == "ru" and en.headers["Content-Language"] == "en"
    assert "Accept-Language" in ru.headers["Vary"]
    assert ru.json["title"] == "неверные данные" and en.json["title"] == "invalid input"
    assert [e["field"] for e in ru.json["errors"]] == [e["field"] for e in en.json["errors"]] == ["name", "email"]
    reasons = {e["field"]: e["reason"] for e in ru.json["errors"]}
    assert reasons == {"name": "не должно быть пустым", "email": "'no-at-sign' — не адрес email"}
    missing = api.get("/clients/cl_0000000000000000000000000", headers=RU)
    assert missing.status_code == 404 and missing.json["title"] == "не найдено"
    assert missing.json["detail"].startswith("не найдено: клиент 'cl_")
    schema = api.post("/clients", {"name": "Ана", "unknown": 1}, headers=RU)
    assert (
        schema.status_code == 422
        and {"field": "unknown", "reason": "Неизвестное поле.", "in": "json"} in (schema.json["errors"])
    )
    anonymous = api.get("/clients", token=None, headers=RU)
    assert anonymous.status_code == 401 and anonymous.json["title"] == "нет доступа"
    assert anonymous.json["detail"] == "передайте токен пространства: Authorization: Bearer <токен>"
    assert api.get("/clients", token=None).json["title"] == "unauthorized"  # no Accept-Language: English


def test_kept_answers_are_kept_per_language(api: Api) -> None:
    for name in ("Ана", "Бо"):
        api.client_id(name, email="same@example.com" if name == "Ана" else None)
    ru = api.get("/network/integrity", headers=RU)
    en = api.get("/network/integrity", headers=EN)
    again = api.get("/network/integrity", headers=RU)
    assert ru.status_code == en.status_code == 200
    assert ru.get_data() == again.get_data()
    assert ru.headers["Content-Language"] == "ru" and en.headers["Content-Language"] == "en"
    assert [r["id"] for r in ru.json["rules"]] == [r["id"] for r in en.json["rules"]]  # ids never change
    titles = {r["id"]: r["title"] for r in ru.json["rules"]}
    assert titles["shared_contact"] == "Одни контакты у нескольких клиентов"
    assert {r["id"]: r["title"] for r in en.json["rules"]}["shared_contact"] == "Same contact on several clients"
