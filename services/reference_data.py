"""Static reference data loaded into the database by the seed (SPEC §9).

Plain Python data only: no database, no files read at import time (the
shared ``data/`` folder is not shipped with the installed package, so the
rows of ``regions.csv`` are copied here as literals).

Sources:
- regions, kandas quotas 2025/2026, MRP, support caps: ``data/README.md`` and
  ``data/regions.csv`` (orders of the Ministry of Labour and Social
  Protection); SPEC §1 and §6.
- occupations: ISCO-08 unit groups (4-digit codes, ILO) with English titles
  as in ISCO-08 and Russian working translations.
- DEFICIT_OCCUPATIONS and its LABOUR quota capacities are ILLUSTRATIVE: the
  real per-region deficit lists and LABOUR quotas are not published in a
  form we have (see ``data/README.md``). Administrators replace them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

__all__ = [
    "AGENCIES",
    "CHECK_TYPES",
    "CHECK_TYPE_GRANTS",
    "DEFICIT_OCCUPATIONS",
    "MRP",
    "OCCUPATIONS",
    "REGIONS",
    "SUPPORT_MEASURES",
    "TERMINATION_REASONS",
]

# --------------------------------------------------------------------------
# competent authorities and their checks (SPEC §4)

AGENCIES: list[dict[str, Any]] = [
    {
        "code": "GPO",
        "name": "General Prosecutor's Office – Committee on Legal Statistics and Special Records",
    },
    {"code": "KNB", "name": "National Security Committee"},
    {"code": "MVD_MIGRATION", "name": "Ministry of Internal Affairs – Migration Service"},
    {"code": "MOH", "name": "Ministry of Healthcare"},
    {"code": "NCT", "name": "National Testing Centre (KAZTEST)"},
    {"code": "ENBEK", "name": "Regional employment centres"},
]

CHECK_TYPES: list[dict[str, Any]] = [
    {
        "code": "CRIMINAL_RECORD",
        "name": "Criminal record check",
        "agency_code": "GPO",
        "mandatory": True,
        "active": True,
    },
    {
        "code": "NATIONAL_SECURITY",
        "name": "National security check",
        "agency_code": "KNB",
        "mandatory": True,
        "active": True,
    },
    {
        "code": "DOCUMENT_AUTHENTICITY",
        "name": "Document authenticity check",
        "agency_code": "MVD_MIGRATION",
        "mandatory": True,
        "active": True,
    },
    {
        "code": "MEDICAL",
        "name": "Medical examination",
        "agency_code": "MOH",
        "mandatory": True,
        "active": True,
    },
    {
        "code": "EMPLOYMENT_RECORD",
        "name": "Employment record check",
        "agency_code": "ENBEK",
        "mandatory": False,
        "active": True,
    },
]

# (agency code, check type code): the agency may READ checks of a type it
# does not own (SPEC §4: "check types it owns or was granted").
CHECK_TYPE_GRANTS: list[tuple[str, str]] = [
    ("MVD_MIGRATION", "CRIMINAL_RECORD"),
    ("MVD_MIGRATION", "NATIONAL_SECURITY"),
    ("KNB", "DOCUMENT_AUTHENTICITY"),
    ("KNB", "CRIMINAL_RECORD"),
]

# --------------------------------------------------------------------------
# money: MRP and support measures (SPEC §6)

# Monthly calculation index, tenge.
MRP: dict[int, Decimal] = {
    2025: Decimal("3932"),
    2026: Decimal("4325"),
}

SUPPORT_MEASURES: list[dict[str, Any]] = [
    {
        "code": "RELOCATION",
        "name": "One-time relocation subsidy",
        "cap_mrp": Decimal("70"),
        "per_family_member": True,
    },
    {
        "code": "HOUSING_RENT",
        "name": "Rent and utilities (30 MRP a month for 12 months)",
        "cap_mrp": Decimal("360"),
        "per_family_member": False,
    },
    {
        "code": "HOUSING_CERTIFICATE",
        "name": "Economic mobility certificate for buying a home",
        "cap_mrp": Decimal("1625"),
        "per_family_member": False,
    },
]

# The policy says "the whole sum" and names no exemptions; which reasons are
# exempt is reference data that administrators set (SPEC §6).
TERMINATION_REASONS: list[dict[str, Any]] = [
    {"code": "LEFT_REGION", "name": "Left the region before the end of the contract", "refundable": True},
    {"code": "VOLUNTARY", "name": "Terminated at the family's request", "refundable": True},
    {"code": "BREACH", "name": "Breach of the social contract", "refundable": True},
    {"code": "DEATH", "name": "Death of the participant", "refundable": False},
    {"code": "DISABILITY", "name": "Disability of the participant", "refundable": False},
    {"code": "FORCE_MAJEURE", "name": "Force majeure", "refundable": False},
]

# --------------------------------------------------------------------------
# occupations: ISCO-08 unit groups relevant to labour shortages

OCCUPATIONS: list[dict[str, str]] = [
    {"code": "2142", "name_en": "Civil engineers", "name_ru": "Инженеры-строители"},
    {"code": "2144", "name_en": "Mechanical engineers", "name_ru": "Инженеры-механики"},
    {
        "code": "2146",
        "name_en": "Mining engineers, metallurgists and related professionals",
        "name_ru": "Горные инженеры, металлурги и специалисты родственных занятий",
    },
    {"code": "2151", "name_en": "Electrical engineers", "name_ru": "Инженеры-электрики"},
    {"code": "2153", "name_en": "Telecommunications engineers", "name_ru": "Инженеры по телекоммуникациям"},
    {"code": "2211", "name_en": "Generalist medical practitioners", "name_ru": "Врачи общей практики"},
    {"code": "2212", "name_en": "Specialist medical practitioners", "name_ru": "Врачи-специалисты"},
    {"code": "2221", "name_en": "Nursing professionals", "name_ru": "Специалисты сестринского дела"},
    {"code": "2222", "name_en": "Midwifery professionals", "name_ru": "Специалисты акушерского дела"},
    {"code": "2250", "name_en": "Veterinarians", "name_ru": "Ветеринарные врачи"},
    {"code": "2261", "name_en": "Dentists", "name_ru": "Врачи-стоматологи"},
    {"code": "2262", "name_en": "Pharmacists", "name_ru": "Фармацевты"},
    {
        "code": "2310",
        "name_en": "University and higher education teachers",
        "name_ru": "Преподаватели университетов и высших учебных заведений",
    },
    {
        "code": "2320",
        "name_en": "Vocational education teachers",
        "name_ru": "Преподаватели профессионального образования",
    },
    {"code": "2330", "name_en": "Secondary education teachers", "name_ru": "Учителя средней школы"},
    {"code": "2341", "name_en": "Primary school teachers", "name_ru": "Учителя начальных классов"},
    {"code": "2342", "name_en": "Early childhood educators", "name_ru": "Воспитатели дошкольного образования"},
    {"code": "2411", "name_en": "Accountants", "name_ru": "Бухгалтеры"},
    {"code": "2512", "name_en": "Software developers", "name_ru": "Разработчики программного обеспечения"},
    {"code": "2631", "name_en": "Economists", "name_ru": "Экономисты"},
    {"code": "3112", "name_en": "Civil engineering technicians", "name_ru": "Техники-строители"},
    {"code": "3113", "name_en": "Electrical engineering technicians", "name_ru": "Техники-электрики"},
    {"code": "3115", "name_en": "Mechanical engineering technicians", "name_ru": "Техники-механики"},
    {
        "code": "3117",
        "name_en": "Mining and metallurgical technicians",
        "name_ru": "Техники горного дела и металлургии",
    },
    {"code": "3142", "name_en": "Agricultural technicians", "name_ru": "Техники сельского хозяйства"},
    {
        "code": "3221",
        "name_en": "Nursing associate professionals",
        "name_ru": "Медицинские сёстры (средний медицинский персонал)",
    },
    {
        "code": "3240",
        "name_en": "Veterinary technicians and assistants",
        "name_ru": "Ветеринарные техники и фельдшеры",
    },
    {"code": "5120", "name_en": "Cooks", "name_ru": "Повара"},
    {
        "code": "6111",
        "name_en": "Field crop and vegetable growers",
        "name_ru": "Производители полевых культур и овощей",
    },
    {
        "code": "6121",
        "name_en": "Livestock and dairy producers",
        "name_ru": "Животноводы и производители молочной продукции",
    },
    {
        "code": "7112",
        "name_en": "Bricklayers and related workers",
        "name_ru": "Каменщики и рабочие родственных занятий",
    },
    {"code": "7115", "name_en": "Carpenters and joiners", "name_ru": "Плотники и столяры"},
    {"code": "7126", "name_en": "Plumbers and pipe fitters", "name_ru": "Сантехники и трубопроводчики"},
    {"code": "7212", "name_en": "Welders and flamecutters", "name_ru": "Сварщики и газорезчики"},
    {
        "code": "7231",
        "name_en": "Motor vehicle mechanics and repairers",
        "name_ru": "Механики и ремонтники автотранспортных средств",
    },
    {
        "code": "7233",
        "name_en": "Agricultural and industrial machinery mechanics and repairers",
        "name_ru": "Механики и ремонтники сельскохозяйственного и промышленного оборудования",
    },
    {
        "code": "7411",
        "name_en": "Building and related electricians",
        "name_ru": "Электромонтажники зданий и рабочие родственных занятий",
    },
    {"code": "7412", "name_en": "Electrical mechanics and fitters", "name_ru": "Электромеханики и электромонтёры"},
    {"code": "8111", "name_en": "Miners and quarriers", "name_ru": "Горнорабочие и рабочие карьеров"},
    {
        "code": "8113",
        "name_en": "Well drillers and borers and related workers",
        "name_ru": "Бурильщики скважин и рабочие родственных занятий",
    },
    {
        "code": "8332",
        "name_en": "Heavy truck and lorry drivers",
        "name_ru": "Водители грузовых автомобилей большой грузоподъёмности",
    },
    {
        "code": "8341",
        "name_en": "Mobile farm and forestry plant operators",
        "name_ru": "Трактористы и машинисты сельскохозяйственных и лесохозяйственных машин",
    },
    {
        "code": "8342",
        "name_en": "Earthmoving and related plant operators",
        "name_ru": "Машинисты землеройных и родственных машин",
    },
    {
        "code": "8343",
        "name_en": "Crane, hoist and related plant operators",
        "name_ru": "Машинисты кранов, подъёмников и родственного оборудования",
    },
]

# --------------------------------------------------------------------------
# ILLUSTRATIVE deficit occupations and 2026 LABOUR quotas (people) per
# labour-deficit region. NOT official: the real lists and LABOUR quotas are
# unpublished in a form we have (data/README.md). The choice only loosely
# follows each region's economy (grain and livestock in the north, oil and
# gas in Atyrau, mining and metallurgy in the east, industry in Pavlodar).

DEFICIT_OCCUPATIONS: dict[str, list[tuple[str, int]]] = {
    # Abai
    "KZ-10": [
        ("2211", 15),
        ("2221", 20),
        ("2341", 15),
        ("6121", 25),
        ("7212", 15),
        ("7233", 10),
        ("8111", 20),
        ("8341", 20),
    ],
    # Akmola
    "KZ-11": [
        ("2211", 20),
        ("2221", 20),
        ("2250", 10),
        ("2330", 15),
        ("6111", 30),
        ("7233", 15),
        ("7411", 10),
        ("8341", 25),
    ],
    # Atyrau
    "KZ-23": [
        ("2144", 15),
        ("2151", 10),
        ("2211", 10),
        ("3115", 15),
        ("7126", 20),
        ("7212", 30),
        ("8113", 25),
        ("8343", 10),
    ],
    # West Kazakhstan
    "KZ-27": [
        ("2211", 10),
        ("2221", 10),
        ("2330", 10),
        ("3113", 10),
        ("6121", 15),
        ("7212", 15),
        ("8113", 15),
    ],
    # Kostanay
    "KZ-39": [
        ("2211", 15),
        ("2250", 10),
        ("2341", 15),
        ("6111", 30),
        ("7231", 15),
        ("7233", 20),
        ("8111", 20),
        ("8341", 30),
    ],
    # Pavlodar
    "KZ-55": [
        ("2144", 10),
        ("2151", 15),
        ("2211", 20),
        ("2330", 15),
        ("3113", 20),
        ("3117", 15),
        ("7212", 25),
        ("7411", 20),
        ("8332", 15),
    ],
    # North Kazakhstan
    "KZ-59": [
        ("2211", 15),
        ("2221", 15),
        ("2250", 10),
        ("2341", 15),
        ("6111", 30),
        ("6121", 20),
        ("7233", 15),
        ("8341", 25),
    ],
    # East Kazakhstan
    "KZ-63": [
        ("2146", 10),
        ("2211", 20),
        ("2221", 20),
        ("2330", 15),
        ("3117", 15),
        ("7212", 20),
        ("7412", 15),
        ("8111", 30),
    ],
}

# --------------------------------------------------------------------------
# the 20 first-level units (copied from data/regions.csv)

REGIONS: list[dict[str, Any]] = [
    {
        "code": "KZ-10",
        "name_kk": "Абай облысы",
        "name_ru": "область Абай",
        "name_en": "Abai Region",
        "kind": "oblast",
        "labour_deficit": True,
        "kandas_quota": {2025: 244, 2026: 264},
    },
    {
        "code": "KZ-11",
        "name_kk": "Ақмола облысы",
        "name_ru": "Акмолинская область",
        "name_en": "Akmola Region",
        "kind": "oblast",
        "labour_deficit": True,
        "kandas_quota": {2025: 285, 2026: 285},
    },
    {
        "code": "KZ-15",
        "name_kk": "Ақтөбе облысы",
        "name_ru": "Актюбинская область",
        "name_en": "Aktobe Region",
        "kind": "oblast",
        "labour_deficit": False,
        "kandas_quota": {},
    },
    {
        "code": "KZ-19",
        "name_kk": "Алматы облысы",
        "name_ru": "Алматинская область",
        "name_en": "Almaty Region",
        "kind": "oblast",
        "labour_deficit": False,
        "kandas_quota": {},
    },
    {
        "code": "KZ-23",
        "name_kk": "Атырау облысы",
        "name_ru": "Атырауская область",
        "name_en": "Atyrau Region",
        "kind": "oblast",
        "labour_deficit": True,
        "kandas_quota": {2025: 100, 2026: 125},
    },
    {
        "code": "KZ-27",
        "name_kk": "Батыс Қазақстан облысы",
        "name_ru": "Западно-Казахстанская область",
        "name_en": "West Kazakhstan Region",
        "kind": "oblast",
        "labour_deficit": True,
        "kandas_quota": {2025: 30, 2026: 30},
    },
    {
        "code": "KZ-31",
        "name_kk": "Жамбыл облысы",
        "name_ru": "Жамбылская область",
        "name_en": "Zhambyl Region",
        "kind": "oblast",
        "labour_deficit": False,
        "kandas_quota": {},
    },
    {
        "code": "KZ-33",
        "name_kk": "Жетісу облысы",
        "name_ru": "область Жетісу",
        "name_en": "Zhetysu Region",
        "kind": "oblast",
        "labour_deficit": False,
        "kandas_quota": {},
    },
    {
        "code": "KZ-35",
        "name_kk": "Қарағанды облысы",
        "name_ru": "Карагандинская область",
        "name_en": "Karaganda Region",
        "kind": "oblast",
        "labour_deficit": False,
        "kandas_quota": {},
    },
    {
        "code": "KZ-39",
        "name_kk": "Қостанай облысы",
        "name_ru": "Костанайская область",
        "name_en": "Kostanay Region",
        "kind": "oblast",
        "labour_deficit": True,
        "kandas_quota": {2025: 150, 2026: 200},
    },
    {
        "code": "KZ-43",
        "name_kk": "Қызылорда облысы",
        "name_ru": "Кызылординская область",
        "name_en": "Kyzylorda Region",
        "kind": "oblast",
        "labour_deficit": False,
        "kandas_quota": {},
    },
    {
        "code": "KZ-47",
        "name_kk": "Маңғыстау облысы",
        "name_ru": "Мангистауская область",
        "name_en": "Mangystau Region",
        "kind": "oblast",
        "labour_deficit": False,
        "kandas_quota": {},
    },
    {
        "code": "KZ-55",
        "name_kk": "Павлодар облысы",
        "name_ru": "Павлодарская область",
        "name_en": "Pavlodar Region",
        "kind": "oblast",
        "labour_deficit": True,
        "kandas_quota": {2025: 1056, 2026: 977},
    },
    {
        "code": "KZ-59",
        "name_kk": "Солтүстік Қазақстан облысы",
        "name_ru": "Северо-Казахстанская область",
        "name_en": "North Kazakhstan Region",
        "kind": "oblast",
        "labour_deficit": True,
        "kandas_quota": {2025: 175, 2026: 200},
    },
    {
        "code": "KZ-61",
        "name_kk": "Түркістан облысы",
        "name_ru": "Туркестанская область",
        "name_en": "Turkistan Region",
        "kind": "oblast",
        "labour_deficit": False,
        "kandas_quota": {},
    },
    {
        "code": "KZ-62",
        "name_kk": "Ұлытау облысы",
        "name_ru": "область Ұлытау",
        "name_en": "Ulytau Region",
        "kind": "oblast",
        "labour_deficit": False,
        "kandas_quota": {},
    },
    {
        "code": "KZ-63",
        "name_kk": "Шығыс Қазақстан облысы",
        "name_ru": "Восточно-Казахстанская область",
        "name_en": "East Kazakhstan Region",
        "kind": "oblast",
        "labour_deficit": True,
        "kandas_quota": {2025: 269, 2026: 200},
    },
    {
        "code": "KZ-71",
        "name_kk": "Астана қаласы",
        "name_ru": "город Астана",
        "name_en": "Astana",
        "kind": "city",
        "labour_deficit": False,
        "kandas_quota": {},
    },
    {
        "code": "KZ-75",
        "name_kk": "Алматы қаласы",
        "name_ru": "город Алматы",
        "name_en": "Almaty",
        "kind": "city",
        "labour_deficit": False,
        "kandas_quota": {},
    },
    {
        "code": "KZ-79",
        "name_kk": "Шымкент қаласы",
        "name_ru": "город Шымкент",
        "name_en": "Shymkent",
        "kind": "city",
        "labour_deficit": False,
        "kandas_quota": {},
    },
]
