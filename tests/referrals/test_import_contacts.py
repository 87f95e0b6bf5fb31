"""Contacts where they live, each sample written after its format's public documentation:

* vCard 3.0 (RFC 2426, iOS and Google Contacts), 4.0 (RFC 6350: PREF, tel: URIs) and 2.1 (Android's
  quoted-printable UTF-8 names with soft line breaks);
* Google Contacts "Google CSV" (First Name, E-mail 1 - Value, Phone 1 - Value, Labels "* myContacts ::: …");
* LinkedIn Connections.csv (a "Notes:" preamble, then First Name, Last Name, URL, Email Address, Company,
  Position, Connected On "12 Mar 2024");
* Telegram Desktop's result.json (contacts.list: first_name, last_name, phone_number, date);
* amoCRM, Bitrix24 (cp1251, ";") and HubSpot contact exports with their standard field labels.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

from referrals.importing import Changes, Parsed, PlanOptions, ReadOptions, View, plan, read_file

TODAY = date(2024, 6, 30)
NOW = datetime(2024, 6, 30, 12, tzinfo=UTC)
EMPTY = View((), (), (), ())

VCF = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iPhone OS 17.0//EN\r\n"
    "N:Иванова;Анна;Сергеевна;;\r\nFN:Анна Иванова\r\nORG:Студия «Лён»;\r\nTITLE:Дизайнер\r\n"
    "EMAIL;type=INTERNET;type=HOME;type=pref:anna@lyon.ru\r\n"
    "TEL;type=CELL;type=VOICE;type=pref:+7 916 123-45-67\r\nTEL;type=WORK;type=VOICE:8 (495) 111-22-33\r\n"
    "NOTE:Познакомились на выставке\\, весна 2023\r\nCATEGORIES:Клиенты,VIP\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Boris Petrov\r\nN:Petrov;Boris;;;\r\n"
    'TEL;VALUE=uri;TYPE="cell,voice";PREF=1:tel:+44-20-7946-0958\r\n'
    "EMAIL;TYPE=work;PREF=2:boris@work.example\r\nEMAIL;TYPE=home;PREF=1:boris@home.example\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:2.1\r\n"
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=D0=A1=D0=B8=D0=B4=D0=BE=D1=80=D0=BE=D0=B2=D0=B0;=D0=92=D0=B5=D1=80=D0=B0;;;\r\n"
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=D0=92=D0=B5=D1=80=D0=B0=20=D0=A1=D0=B8=D0=B4=D0=BE=D1=80=\r\n"
    "=D0=BE=D0=B2=D0=B0\r\n"
    "TEL;CELL:89035556677\r\nEND:VCARD\r\n"
)

GOOGLE = (
    "First Name,Middle Name,Last Name,Phonetic First Name,Nickname,File As,E-mail 1 - Label,E-mail 1 - Value,"
    "E-mail 2 - Label,E-mail 2 - Value,Phone 1 - Label,Phone 1 - Value,Phone 2 - Label,Phone 2 - Value,"
    "Organization Name,Organization Title,Birthday,Notes,Labels\n"
    'Анна,,Иванова,,,,* Home,anna@lyon.ru,,,Mobile,8 (916) 123 45 67,,,Студия «Лён»,,,"Любит\nзвонки",'
    "* myContacts ::: Клиенты\n"
    "Глеб,,Орлов,,Гоша,,* Work,gleb@orlov.example,* Home,gleb@home.example,Mobile,+7 926 000-11-22,Work,"
    "+7 495 000-11-22,,,1990-05-01,,* myContacts ::: * starred\n"
)

LINKEDIN = (
    "Notes:\n"
    '"When exporting your connection data, you may notice that some of the email addresses are missing. You will '
    "only see email addresses for connections who have allowed their connections to see or download their email "
    'address using this setting https://www.linkedin.com/psettings/privacy/email. You can learn more here"\n'
    "\n"
    "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
    "Denis,Kuznetsov,https://www.linkedin.com/in/denis-k,,Acme,CTO,12 Mar 2024\n"
    "Anna,Ivanova,https://www.linkedin.com/in/anna-iv,anna@lyon.ru,Лён,Founder,01 Feb 2023\n"
)

TELEGRAM = {
    "about": "Here is the data you requested.",
    "contacts": {
        "about": "This is your contact list.",
        "list": [
            {
                "first_name": "Анна",
                "last_name": "",
                "phone_number": "79161234567",
                "date": "2021-03-04T10:11:12",
                "date_unixtime": "1614852672",
            },
            {
                "first_name": "Илья",
                "last_name": "Смирнов",
                "phone_number": "+7 (999) 123-45-67",
                "date": "2022-01-01T00:00:00",
                "date_unixtime": "1640995200",
            },
            {"first_name": "", "last_name": "", "phone_number": "", "date": "2022-01-01T00:00:00"},
        ],
    },
}

AMOCRM = (
    "ID;Наименование;Имя;Фамилия;Компания;Должность;Рабочий телефон;Мобильный телефон;Рабочий email;"
    "Личный email;Теги;Примечание;Ответственный;Дата создания;Кем создан\n"
    "1001;Ольга Белова;Ольга;Белова;ООО Ромашка;Директор;+7 495 123-45-67;+7 903 765-43-21;olga@romashka.ru;;"
    "опт;Звонить после 15;Менеджер 1;12.01.2024 10:00:00;Менеджер 1\n"
)

BITRIX = (
    "ID;Обращение;Имя;Отчество;Фамилия;Дата рождения;Должность;Компания;Рабочий телефон;Мобильный телефон;"
    "Рабочий e-mail;Частный e-mail;Источник;Дополнительно об источнике;Комментарий;Ответственный;Дата создания\n"
    "57;г-н;Пётр;Ильич;Соколов;;Инженер;ИП Соколов;;8-903-111-22-33;;petr@sokolov.ru;Звонок;;;Админ;05.02.2024\n"
)

HUBSPOT = (
    "Record ID,First Name,Last Name,Email,Phone Number,Company Name,Contact owner,Lead Status,Lifecycle Stage,"
    "Create Date,Original Source\n"
    "9011,Mary,Smith,mary@smith.example,+1 415 555 0100,Smith & Co,Jane Rep,New,Customer,2024-01-15 09:30,"
    "Organic Search\n"
)


def read(name: str, data: bytes, **opts: object) -> Parsed:
    return read_file(name, data, opts=ReadOptions(**opts))  # type: ignore[arg-type]


def planned(*files: tuple[str, bytes], view: View = EMPTY, **opts: object) -> Changes:
    parsed = Parsed()
    for name, data in files:
        parsed.add(read_file(name, data))
    changes = plan(parsed.rows, view, TODAY, NOW, PlanOptions(**opts))  # type: ignore[arg-type]
    changes.problems = parsed.problems + changes.problems
    return changes


def test_vcard_3_4_and_androids_2_1() -> None:
    parsed = read("contacts.vcf", VCF.encode())
    assert parsed.problems == []
    changes = plan(parsed.rows, EMPTY, TODAY, NOW)
    assert changes.problems == []
    got = [(c.name, c.email, c.phone, c.tags, c.notes) for c in changes.new_clients]
    assert got == [
        (
            "Анна Иванова",
            "anna@lyon.ru",
            "+79161234567",
            ("vip", "клиенты"),
            "Познакомились на выставке, весна 2023\nPhone 2: 8 (495) 111-22-33\n"
            "Organization: Студия «Лён»\nTitle: Дизайнер",
        ),
        ("Boris Petrov", "boris@home.example", "+442079460958", (), "Email 2: boris@work.example"),  # PREF=1 first
        ("Вера Сидорова", None, "+79035556677", (), None),  # quoted-printable, soft line break
    ]
    bad = read("broken.vcf", b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\n")
    assert bad.problems and bad.problems[0].column == "(file)"


def test_google_contacts_csv() -> None:
    changes = planned(("contacts.csv", GOOGLE.encode()))
    assert changes.problems == [] and changes.warnings == []  # every column of the export has a meaning
    anna, gleb = changes.new_clients
    assert (anna.name, anna.email, anna.phone, anna.tags) == (
        "Анна Иванова",
        "anna@lyon.ru",
        "+79161234567",
        ("клиенты",),
    )
    assert anna.notes == "Любит\nзвонки\nOrganization Name: Студия «Лён»"
    assert (gleb.email, gleb.phone, gleb.tags) == ("gleb@orlov.example", "+79260001122", ())  # system labels dropped
    assert (
        gleb.notes == "Nickname: Гоша\nE-mail 2 - Value: gleb@home.example\nPhone 2 - Value: +7 495 000-11-22\n"
        "Birthday: 1990-05-01"
    )


def test_linkedin_connections_with_their_notes_preamble() -> None:
    parsed = read("Connections.csv", LINKEDIN.encode())
    assert parsed.problems == [] and [r.row for r in parsed.rows] == [5, 6]  # line numbers of the file
    changes = plan(parsed.rows, EMPTY, TODAY, NOW)
    denis, anna = changes.new_clients
    assert (denis.name, denis.email) == ("Denis Kuznetsov", None)
    assert (
        denis.notes
        == "URL: https://www.linkedin.com/in/denis-k\nCompany: Acme\nPosition: CTO\nConnected On: 12 Mar 2024"
    )
    assert (anna.name, anna.email) == ("Anna Ivanova", "anna@lyon.ru")


def test_telegram_desktop_contacts() -> None:
    parsed = read("result.json", json.dumps(TELEGRAM, ensure_ascii=False).encode())
    assert [(p.row, p.reason) for p in parsed.problems] == [(3, "a contact with no name and no phone")]
    changes = plan(parsed.rows, EMPTY, TODAY, NOW)
    assert [(c.name, c.phone, c.notes) for c in changes.new_clients] == [
        ("Анна", "+79161234567", "Telegram contact since: 2021-03-04"),
        ("Илья Смирнов", "+79991234567", "Telegram contact since: 2022-01-01"),
    ]


def test_crm_exports_amocrm_bitrix24_in_cp1251_and_hubspot() -> None:
    amo = planned(("amocrm.csv", AMOCRM.encode()))
    assert amo.problems == [] and amo.warnings == []
    (olga,) = amo.new_clients
    assert (olga.name, olga.external_id, olga.email, olga.phone, olga.tags) == (
        "Ольга Белова",
        "1001",
        "olga@romashka.ru",
        "+74951234567",
        ("опт",),
    )
    assert olga.notes == (
        "Звонить после 15\nКомпания: ООО Ромашка\nДолжность: Директор\nМобильный телефон: +7 903 765-43-21\n"
        "Дата создания: 12.01.2024 10:00:00"
    )
    bitrix = read_file("bitrix.csv", BITRIX.encode("cp1251"), opts=ReadOptions(encoding="cp1251"))
    changes = plan(bitrix.rows, EMPTY, TODAY, NOW)
    assert bitrix.problems == [] and changes.problems == [] and bitrix.warnings == []
    (petr,) = changes.new_clients
    assert (petr.name, petr.external_id, petr.email, petr.phone) == (
        "Пётр Ильич Соколов",
        "57",
        "petr@sokolov.ru",
        "+79031112233",
    )
    assert "Источник: Звонок" in (petr.notes or "")  # Bitrix24's lead source is not who recommended them
    assert changes.new_referrals == []
    hub = planned(("hubspot.csv", HUBSPOT.encode()))
    assert hub.problems == [] and hub.warnings == []
    (mary,) = hub.new_clients
    assert (mary.name, mary.external_id, mary.phone) == ("Mary Smith", "9011", "+14155550100")
    assert "Lifecycle Stage: Customer" in (mary.notes or "") and "Jane Rep" not in (mary.notes or "")


def test_one_person_in_three_exports_with_three_phone_spellings_is_one_client() -> None:
    files = (
        ("contacts.vcf", VCF.encode()),  # +7 916 123-45-67, anna@lyon.ru
        ("google.csv", GOOGLE.encode()),  # 8 (916) 123 45 67, the same email
        ("result.json", json.dumps(TELEGRAM, ensure_ascii=False).encode()),  # 79161234567, no email, name "Анна"
    )
    changes = planned(*files)
    annas = [c for c in changes.new_clients if c.phone == "+79161234567"]
    assert len(annas) == 1 and annas[0].name == "Анна Иванова"
    assert changes.summary["clients"]["created"] == 5  # Анна, Boris, Вера, Глеб, Илья
    assert (
        "google.csv row 2 (Анна Иванова) is the client from contacts.vcf row 1: the same email anna@lyon.ru"
        in (changes.matches[0])
    )
    telegram = next(m for m in changes.matches if m.startswith("result.json row 1"))
    assert telegram.startswith(
        "result.json row 1 (Анна) is the client from contacts.vcf row 1: the same phone +79161234567"
    )
    assert telegram.endswith("; fills notes (added)")  # nothing of the second source is lost
    assert annas[0].notes.endswith("Любит\nзвонки\nOrganization Name: Студия «Лён»\nTelegram contact since: 2021-03-04")


def test_a_stored_client_is_filled_never_overwritten_without_update() -> None:
    first = planned(("contacts.vcf", VCF.encode()))
    view = View(first.new_clients, (), (), ())
    later = (
        "name,email,phone,notes\n"
        "Anna Ivanova,anna@lyon.ru,+7 916 123-45-67,Moved to Lyon\nVera,vera@x.org,8 903 555-66-77,\n"
    )
    kept = planned(("update.csv", later.encode()), view=view)
    assert kept.problems == [] and kept.new_clients == []
    vera = next(c for c in kept.updated_clients if c.phone == "+79035556677")
    assert (vera.name, vera.email) == ("Вера Сидорова", "vera@x.org")  # the empty email filled; the name kept
    assert kept.matches == [
        "update.csv row 2 (Anna Ivanova) is stored client Анна Иванова: the same email anna@lyon.ru;"
        " fills notes (added); keeps its name (--update overwrites)",
        "update.csv row 3 (Vera) is stored client Вера Сидорова: the same phone +79035556677; fills email;"
        " keeps its name (--update overwrites)",
    ]
    assert kept.summary["clients"] == {"created": 0, "updated": 2, "unchanged": 0, "rejected": 0}
    anna = next(c for c in kept.updated_clients if c.email == "anna@lyon.ru")
    assert anna.name == "Анна Иванова" and anna.notes.endswith("Title: Дизайнер\nMoved to Lyon")
    view = View([anna, vera], (), (), ())
    again = planned(("update.csv", later.encode()), view=view)
    assert again.writes == 0  # nothing added twice
    renamed = "name,email\nAnna I.,anna@lyon.ru\n"
    kept = planned(("rename.csv", renamed.encode()), view=view)
    assert kept.writes == 0 and kept.matches[0].endswith("; keeps its name (--update overwrites)")
    forced = planned(("update.csv", later.encode()), view=view, update=True)
    anna = next(c for c in forced.updated_clients if c.email == "anna@lyon.ru")
    assert (anna.name, anna.notes) == ("Anna Ivanova", "Moved to Lyon")


def test_exact_name_and_company_match_a_stored_client_when_nothing_else_does() -> None:
    stored = planned(("amocrm.csv", AMOCRM.encode())).new_clients  # Ольга Белова, Компания: ООО Ромашка
    other = replace(
        stored[0], id="cl_other", email="olga@lilia.ru", external_id=None, phone=None, notes="Компания: ООО Лилия"
    )
    view = View([*stored, other], (), (), ())
    linkedin = (
        'Notes:\n"When exporting your connection data, you may notice that some of the email addresses are'
        ' missing."\n\nFirst Name,Last Name,URL,Email Address,Company,Position,Connected On\n'
        "Ольга,Белова,https://www.linkedin.com/in/obelova,,ооо  ромашка,CEO,12 Mar 2024\n"
    )
    phone = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ольга Белова\r\nORG:ООО Лилия\r\n"
        "TEL;type=CELL:+7 926 000-11-22\r\nEND:VCARD\r\n"
    )
    changes = planned(("Connections.csv", linkedin.encode()), ("phone.vcf", phone.encode()), view=view)
    assert changes.problems == [] and changes.new_clients == []
    assert changes.matches == [
        "Connections.csv row 5 (Ольга Белова) is stored client Ольга Белова: the same name and company ооо  ромашка;"
        " fills notes (added)",
        "phone.vcf row 1 (Ольга Белова) is stored client Ольга Белова: the same name and company ООО Лилия;"
        " fills phone, notes (added)",
    ]
    by_id = {c.id: c for c in changes.updated_clients}
    assert by_id["cl_other"].phone == "+79260001122" and "Position: CEO" in by_id[stored[0].id].notes
    # another email at the same company is another person
    namesake = "name,email,company\nОльга Белова,olga.b@gmail.com,ООО Ромашка\n"
    apart = planned(("crm.csv", namesake.encode()), view=view)
    assert apart.matches == [] and [c.email for c in apart.new_clients] == ["olga.b@gmail.com"]
