"""A sample freelancer's network, so a newcomer sees every view filled.

Anna, a designer in Moscow, got her first clients from her blog and her Telegram channel. One chain of
word of mouth runs ten levels deep (past the seventh, where credit stops); one client, Ольга, passed on
ten contacts; several clients recommended no one (dead ends); deals are in roubles and euros, and one
was refunded.
"""

from __future__ import annotations

from datetime import date, timedelta

from referrals.model import (
    ChannelInput,
    ChannelKind,
    ClientInput,
    DealInput,
    ReferralInput,
    SourceKind,
    SourceRef,
    Workspace,
)
from referrals.money import Money
from referrals.store import Store

DEMO_NAME = "Demo: Anna's design studio"
START = date(2025, 1, 13)

# The long chain from the blog: each recommended the next.
CHAIN = [
    "Иван Петров",
    "Мария Соколова",
    "Дмитрий Волков",
    "Елена Кузнецова",
    "Сергей Морозов",
    "Наталья Лебедева",
    "Алексей Козлов",
    "Татьяна Новикова",
    "Павел Смирнов",
    "Ксения Орлова",
]
# From Telegram: Ольга, who passed on ten contacts, and Артём, who brought two.
TALKATIVE = "Ольга Васильева"
HER_CONTACTS = [
    "Анастасия Белова",
    "Виктор Зайцев",
    "Юлия Павлова",
    "Роман Семёнов",
    "Светлана Голубева",
    "Михаил Виноградов",
    "Ирина Богданова",
    "Кирилл Воробьёв",
    "Дарья Фёдорова",
    "Никита Михайлов",
]
SECOND = "Артём Егоров"
HIS_CONTACTS = ["Полина Никитина", "Григорий Захаров"]
DIRECT = ["Studio Nord GmbH"]  # came in directly: no recorded source


def load_demo(store: Store, name: str = DEMO_NAME) -> Workspace:
    """Create the demo workspace and its network through the same bulk writes as an import."""
    ws = store.create_workspace(name)
    blog = store.create_channel(ws.id, ChannelInput(name="Blog: how I price a logo", kind=ChannelKind.BLOG))
    telegram = store.create_channel(ws.id, ChannelInput(name="Telegram channel", kind=ChannelKind.SOCIAL))
    names = CHAIN + [TALKATIVE, *HER_CONTACTS, SECOND, *HIS_CONTACTS, *DIRECT]
    phones = {n: f"+7916{i:07d}" for i, n in enumerate(names) if n not in DIRECT}
    rows = [
        ClientInput(name=n, external_id=f"demo-{i}", phone=phones.get(n), tags=("demo",)) for i, n in enumerate(names)
    ]
    ids = dict(zip(names, store.upsert_clients(ws.id, rows).ids, strict=True))

    def client(n: str) -> SourceRef:
        return SourceRef(SourceKind.CLIENT, ids[n])

    day = START
    refs = [ReferralInput(SourceRef(SourceKind.CHANNEL, blog.id), ids[CHAIN[0]], day)]
    for up, down in zip(CHAIN, CHAIN[1:], strict=False):
        day += timedelta(days=23)
        refs.append(ReferralInput(client(up), ids[down], day))
    refs.append(ReferralInput(SourceRef(SourceKind.CHANNEL, telegram.id), ids[TALKATIVE], START + timedelta(days=5)))
    for k, n in enumerate(HER_CONTACTS):
        refs.append(ReferralInput(client(TALKATIVE), ids[n], START + timedelta(days=20 + 9 * k)))
    refs.append(ReferralInput(SourceRef(SourceKind.CHANNEL, telegram.id), ids[SECOND], START + timedelta(days=40)))
    for k, n in enumerate(HIS_CONTACTS):
        refs.append(ReferralInput(client(SECOND), ids[n], START + timedelta(days=60 + 30 * k)))
    refs.append(ReferralInput(client(CHAIN[2]), ids[HIS_CONTACTS[1]], START + timedelta(days=150)))  # a second word
    store.add_referrals(ws.id, refs)

    deals: list[tuple[str, int, str, int]] = []  # client, minor units, currency, days after START
    for i, n in enumerate(CHAIN):
        deals.append((n, (45_000 + 5_000 * i) * 100, "RUB", 30 + 23 * i))
    deals += [(TALKATIVE, 120_000 * 100, "RUB", 25), (TALKATIVE, 35_000 * 100, "RUB", 140)]
    for k, n in enumerate(HER_CONTACTS[:6]):
        deals.append((n, (30_000 + 2_500 * k) * 100, "RUB", 45 + 9 * k))
    deals += [(SECOND, 900 * 100, "EUR", 70), (HIS_CONTACTS[0], 1_250 * 100, "EUR", 110)]
    deals += [(DIRECT[0], 4_800 * 100, "EUR", 90), (DIRECT[0], -600 * 100, "EUR", 120)]  # a refund
    store.upsert_deals(
        ws.id,
        [
            DealInput(ids[n], Money(minor, cur), START + timedelta(days=d), external_id=f"demo-deal-{k}")
            for k, (n, minor, cur, d) in enumerate(deals)
        ],
    )
    return ws
