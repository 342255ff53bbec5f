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
    "AGENCY_GRANTS",
    "AGENCY_PERMISSIONS",
    "SUSPENSION_RULES",
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
    {"code": "GPO", "name": "General Prosecutor's Office – Committee on Legal Statistics and Special Records"},
    {"code": "KNB", "name": "National Security Committee"},
    {"code": "MVD_MIGRATION", "name": "Ministry of Internal Affairs – Migration Service"},
    {"code": "MOH", "name": "Ministry of Healthcare"},
    {"code": "NCT", "name": "National Testing Centre (KAZTEST)"},
    {"code": "ENBEK", "name": "Regional employment centres"},
]

CHECK_TYPES: list[dict[str, Any]] = [
    {"code": code, "name": name, "agency_code": agency_code, "mandatory": mandatory, "active": True}
    for code, name, agency_code, mandatory in [
        ("CRIMINAL_RECORD", "Criminal record check", "GPO", True),
        ("NATIONAL_SECURITY", "National security check", "KNB", True),
        ("DOCUMENT_AUTHENTICITY", "Document authenticity check", "MVD_MIGRATION", True),
        ("MEDICAL", "Medical examination", "MOH", True),
        ("EMPLOYMENT_RECORD", "Employment record check", "ENBEK", False),
    ]
]

# (agency code, check type code): the agency may READ checks of a type it
# does not own (SPEC §4: "check types it owns or was granted").
CHECK_TYPE_GRANTS: list[tuple[str, str]] = [
    ("MVD_MIGRATION", "CRIMINAL_RECORD"),
    ("MVD_MIGRATION", "NATIONAL_SECURITY"),
    ("KNB", "DOCUMENT_AUTHENTICITY"),
    ("KNB", "CRIMINAL_RECORD"),
]

# (agency code, grant): what an agency may do beyond its check types. SPEC §13:
# the address-registration authority reports where contract holders live.
AGENCY_GRANTS: list[tuple[str, str]] = [
    ("MVD_MIGRATION", "RESIDENCE"),
]

# --------------------------------------------------------------------------
# money: MRP and support measures (SPEC §6)

# Monthly calculation index, tenge.
MRP: dict[int, Decimal] = {
    2025: Decimal("3932"),
    2026: Decimal("4325"),
}

SUPPORT_MEASURES: list[dict[str, Any]] = [
    {"code": code, "name": name, "cap_mrp": Decimal(cap_mrp), "per_family_member": per_family_member}
    for code, name, cap_mrp, per_family_member in [
        ("RELOCATION", "One-time relocation subsidy", "70", True),
        ("HOUSING_RENT", "Rent and utilities (30 MRP a month for 12 months)", "360", False),
        ("HOUSING_CERTIFICATE", "Economic mobility certificate for buying a home", "1625", False),
    ]
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
    {"code": code, "name_en": name_en, "name_ru": name_ru}
    for code, name_en, name_ru in [
        ("2142", "Civil engineers", "Инженеры-строители"),
        ("2144", "Mechanical engineers", "Инженеры-механики"),
        ("2146", "Mining engineers, metallurgists and related professionals", "Горные инженеры, металлурги и специалисты родственных занятий"),
        ("2151", "Electrical engineers", "Инженеры-электрики"),
        ("2153", "Telecommunications engineers", "Инженеры по телекоммуникациям"),
        ("2211", "Generalist medical practitioners", "Врачи общей практики"),
        ("2212", "Specialist medical practitioners", "Врачи-специалисты"),
        ("2221", "Nursing professionals", "Специалисты сестринского дела"),
        ("2222", "Midwifery professionals", "Специалисты акушерского дела"),
        ("2250", "Veterinarians", "Ветеринарные врачи"),
        ("2261", "Dentists", "Врачи-стоматологи"),
        ("2262", "Pharmacists", "Фармацевты"),
        ("2310", "University and higher education teachers", "Преподаватели университетов и высших учебных заведений"),
        ("2320", "Vocational education teachers", "Преподаватели профессионального образования"),
        ("2330", "Secondary education teachers", "Учителя средней школы"),
        ("2341", "Primary school teachers", "Учителя начальных классов"),
        ("2342", "Early childhood educators", "Воспитатели дошкольного образования"),
        ("2411", "Accountants", "Бухгалтеры"),
        ("2512", "Software developers", "Разработчики программного обеспечения"),
        ("2631", "Economists", "Экономисты"),
        ("3112", "Civil engineering technicians", "Техники-строители"),
        ("3113", "Electrical engineering technicians", "Техники-электрики"),
        ("3115", "Mechanical engineering technicians", "Техники-механики"),
        ("3117", "Mining and metallurgical technicians", "Техники горного дела и металлургии"),
        ("3142", "Agricultural technicians", "Техники сельского хозяйства"),
        ("3221", "Nursing associate professionals", "Медицинские сёстры (средний медицинский персонал)"),
        ("3240", "Veterinary technicians and assistants", "Ветеринарные техники и фельдшеры"),
        ("5120", "Cooks", "Повара"),
        ("6111", "Field crop and vegetable growers", "Производители полевых культур и овощей"),
        ("6121", "Livestock and dairy producers", "Животноводы и производители молочной продукции"),
        ("7112", "Bricklayers and related workers", "Каменщики и рабочие родственных занятий"),
        ("7115", "Carpenters and joiners", "Плотники и столяры"),
        ("7126", "Plumbers and pipe fitters", "Сантехники и трубопроводчики"),
        ("7212", "Welders and flamecutters", "Сварщики и газорезчики"),
        ("7231", "Motor vehicle mechanics and repairers", "Механики и ремонтники автотранспортных средств"),
        ("7233", "Agricultural and industrial machinery mechanics and repairers", "Механики и ремонтники сельскохозяйственного и промышленного оборудования"),
        ("7411", "Building and related electricians", "Электромонтажники зданий и рабочие родственных занятий"),
        ("7412", "Electrical mechanics and fitters", "Электромеханики и электромонтёры"),
        ("8111", "Miners and quarriers", "Горнорабочие и рабочие карьеров"),
        ("8113", "Well drillers and borers and related workers", "Бурильщики скважин и рабочие родственных занятий"),
        ("8332", "Heavy truck and lorry drivers", "Водители грузовых автомобилей большой грузоподъёмности"),
        ("8341", "Mobile farm and forestry plant operators", "Трактористы и машинисты сельскохозяйственных и лесохозяйственных машин"),
        ("8342", "Earthmoving and related plant operators", "Машинисты землеройных и родственных машин"),
        ("8343", "Crane, hoist and related plant operators", "Машинисты кранов, подъёмников и родственного оборудования"),
    ]
]

# --------------------------------------------------------------------------
# ILLUSTRATIVE deficit occupations and 2026 LABOUR quotas (people) per
# labour-deficit region. NOT official: the real lists and LABOUR quotas are
# unpublished in a form we have (data/README.md). The choice only loosely
# follows each region's economy (grain and livestock in the north, oil and
# gas in Atyrau, mining and metallurgy in the east, industry in Pavlodar).
# Each entry: ISCO-08 code → LABOUR quota capacity.

DEFICIT_OCCUPATIONS: dict[str, list[tuple[str, int]]] = {region: list(entries.items()) for region, entries in {
    "KZ-10": {"2211": 15, "2221": 20, "2341": 15, "6121": 25, "7212": 15, "7233": 10, "8111": 20, "8341": 20},  # Abai
    "KZ-11": {"2211": 20, "2221": 20, "2250": 10, "2330": 15, "6111": 30, "7233": 15, "7411": 10, "8341": 25},  # Akmola
    "KZ-23": {"2144": 15, "2151": 10, "2211": 10, "3115": 15, "7126": 20, "7212": 30, "8113": 25, "8343": 10},  # Atyrau
    "KZ-27": {"2211": 10, "2221": 10, "2330": 10, "3113": 10, "6121": 15, "7212": 15, "8113": 15},  # West Kazakhstan
    "KZ-39": {"2211": 15, "2250": 10, "2341": 15, "6111": 30, "7231": 15, "7233": 20, "8111": 20, "8341": 30},  # Kostanay
    "KZ-55": {"2144": 10, "2151": 15, "2211": 20, "2330": 15, "3113": 20, "3117": 15, "7212": 25, "7411": 20, "8332": 15},  # Pavlodar
    "KZ-59": {"2211": 15, "2221": 15, "2250": 10, "2341": 15, "6111": 30, "6121": 20, "7233": 15, "8341": 25},  # North Kazakhstan
    "KZ-63": {"2146": 10, "2211": 20, "2221": 20, "2330": 15, "3117": 15, "7212": 20, "7412": 15, "8111": 30},  # East Kazakhstan
}.items()}

# --------------------------------------------------------------------------
# the 20 first-level units (copied from data/regions.csv), with the kandas
# quotas of 2025 and 2026 (the labour-deficit regions only; 0: none)

REGIONS: list[dict[str, Any]] = [
    {"code": code, "name_kk": name_kk, "name_ru": name_ru, "name_en": name_en, "kind": kind,
     "labour_deficit": labour_deficit,
     "kandas_quota": {year: seats for year, seats in ((2025, kandas_2025), (2026, kandas_2026)) if seats}}
    for code, name_kk, name_ru, name_en, kind, labour_deficit, kandas_2025, kandas_2026 in [
        ("KZ-10", "Абай облысы", "область Абай", "Abai Region", "oblast", True, 244, 264),
        ("KZ-11", "Ақмола облысы", "Акмолинская область", "Akmola Region", "oblast", True, 285, 285),
        ("KZ-15", "Ақтөбе облысы", "Актюбинская область", "Aktobe Region", "oblast", False, 0, 0),
        ("KZ-19", "Алматы облысы", "Алматинская область", "Almaty Region", "oblast", False, 0, 0),
        ("KZ-23", "Атырау облысы", "Атырауская область", "Atyrau Region", "oblast", True, 100, 125),
        ("KZ-27", "Батыс Қазақстан облысы", "Западно-Казахстанская область", "West Kazakhstan Region", "oblast", True, 30, 30),
        ("KZ-31", "Жамбыл облысы", "Жамбылская область", "Zhambyl Region", "oblast", False, 0, 0),
        ("KZ-33", "Жетісу облысы", "область Жетісу", "Zhetysu Region", "oblast", False, 0, 0),
        ("KZ-35", "Қарағанды облысы", "Карагандинская область", "Karaganda Region", "oblast", False, 0, 0),
        ("KZ-39", "Қостанай облысы", "Костанайская область", "Kostanay Region", "oblast", True, 150, 200),
        ("KZ-43", "Қызылорда облысы", "Кызылординская область", "Kyzylorda Region", "oblast", False, 0, 0),
        ("KZ-47", "Маңғыстау облысы", "Мангистауская область", "Mangystau Region", "oblast", False, 0, 0),
        ("KZ-55", "Павлодар облысы", "Павлодарская область", "Pavlodar Region", "oblast", True, 1056, 977),
        ("KZ-59", "Солтүстік Қазақстан облысы", "Северо-Казахстанская область", "North Kazakhstan Region", "oblast", True, 175, 200),
        ("KZ-61", "Түркістан облысы", "Туркестанская область", "Turkistan Region", "oblast", False, 0, 0),
        ("KZ-62", "Ұлытау облысы", "область Ұлытау", "Ulytau Region", "oblast", False, 0, 0),
        ("KZ-63", "Шығыс Қазақстан облысы", "Восточно-Казахстанская область", "East Kazakhstan Region", "oblast", True, 269, 200),
        ("KZ-71", "Астана қаласы", "город Астана", "Astana", "city", False, 0, 0),
        ("KZ-75", "Алматы қаласы", "город Алматы", "Almaty", "city", False, 0, 0),
        ("KZ-79", "Шымкент қаласы", "город Шымкент", "Shymkent", "city", False, 0, 0),
    ]
]

# SPEC §14: the public holidays of fixed date, recurring every year (month, day, kk, ru, en).
# Movable holidays (Kurban Ait) and days off the government moves are dated entries
# administrators add each year.
HOLIDAYS: list[tuple[int, int, str, str, str]] = [
    (1, 1, "Жаңа жыл", "Новый год", "New Year"),
    (1, 2, "Жаңа жыл", "Новый год", "New Year"),
    (1, 7, "Православиелік Рождество", "Рождество Христово", "Orthodox Christmas"),
    (3, 8, "Халықаралық әйелдер күні", "Международный женский день", "International Women's Day"),
    (3, 21, "Наурыз мейрамы", "Наурыз мейрамы", "Nauryz"),
    (3, 22, "Наурыз мейрамы", "Наурыз мейрамы", "Nauryz"),
    (3, 23, "Наурыз мейрамы", "Наурыз мейрамы", "Nauryz"),
    (5, 1, "Қазақстан халқының бірлігі мерекесі", "Праздник единства народа Казахстана",
     "Unity Day of the People of Kazakhstan"),
    (5, 7, "Отан қорғаушы күні", "День защитника Отечества", "Defender of the Fatherland Day"),
    (5, 9, "Жеңіс күні", "День Победы", "Victory Day"),
    (7, 6, "Астана күні", "День Столицы", "Capital City Day"),
    (8, 30, "Қазақстан Республикасының Конституциясы күні", "День Конституции Республики Казахстан",
     "Constitution Day"),
    (10, 25, "Республика күні", "День Республики", "Republic Day"),
    (12, 16, "Тәуелсіздік күні", "День Независимости", "Independence Day"),
]

# --------------------------------------------------------------------------
# employers and violations (SPEC §15)

# 2 or more violations of an employer within 12 months suspend it for 12 months from the last one.
EMPLOYER_SUSPENSION = "EMPLOYER"
SUSPENSION_RULES: list[dict[str, Any]] = [
    {"code": EMPLOYER_SUSPENSION, "violations": 2, "window_months": 12, "suspension_months": 12},
]

# What a partner agency's key may do beyond its check types: the migration service records violations.
RECORD_VIOLATIONS = "RECORD_VIOLATIONS"
AGENCY_PERMISSIONS: list[tuple[str, str]] = [("MVD_MIGRATION", RECORD_VIOLATIONS)]
