"""The demo world's vocabulary: channels, industries, titles, pages and content.

Kept apart from :mod:`leadline.demo.generator` so the numbers that make the
world *realistic* (who converts, what a channel costs) can be read and tuned
in one place without wading through the sampling code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Channel:
    """How one acquisition channel behaves.

    ``share`` is the channel's part of new leads, ``in_market`` the chance a
    lead from it is actively buying, ``fit_bias`` how strongly it attracts
    ideal-customer accounts (log-weight per fit point), ``cost_per_lead`` the
    money it costs per lead it brings (monthly cost follows from volume).
    Content syndication and event scans are cheap per lead and rarely buy;
    webinars and search bring fewer, better leads.
    """

    name: str
    share: float
    in_market: float
    fit_bias: float
    cost_per_lead: float
    campaigns: tuple[str, ...]
    student_rate: float
    free_mail_rate: float


CHANNELS: tuple[Channel, ...] = (
    Channel(
        "paid_search",
        0.13,
        0.34,
        1.2,
        210.0,
        ("Google Ads - brand", "Google Ads - lead scoring", "Bing Ads - revops"),
        0.01,
        0.04,
    ),
    Channel(
        "content_syndication",
        0.25,
        0.04,
        -0.2,
        42.0,
        ("TechTarget syndication", "NetLine syndication"),
        0.08,
        0.12,
    ),
    Channel(
        "events",
        0.16,
        0.06,
        0.2,
        110.0,
        ("RevOps Summit booth", "SaaS Connect booth", "Pipeline World expo"),
        0.05,
        0.05,
    ),
    Channel("organic", 0.13, 0.30, 0.9, 35.0, ("SEO and blog",), 0.04, 0.10),
    Channel("email", 0.06, 0.12, 0.5, 15.0, ("Monthly newsletter", "Nurture program"), 0.02, 0.06),
    Channel("partner", 0.06, 0.26, 1.0, 120.0, ("Partner referrals",), 0.0, 0.01),
    Channel(
        "webinar",
        0.09,
        0.32,
        1.1,
        110.0,
        ("Webinar: scoring that sales trusts", "Webinar: forecasting pipeline"),
        0.02,
        0.04,
    ),
    Channel("paid_social", 0.12, 0.09, 0.3, 160.0, ("LinkedIn Ads", "Meta Ads"), 0.04, 0.10),
)

# (industry, share of accounts, ICP points)
INDUSTRIES: tuple[tuple[str, float, float], ...] = (
    ("software", 0.22, 2.0),
    ("fintech", 0.10, 2.0),
    ("healthcare", 0.10, 0.8),
    ("manufacturing", 0.12, 0.3),
    ("retail", 0.10, 0.2),
    ("education", 0.08, -0.5),
    ("logistics", 0.08, 0.8),
    ("media", 0.08, 0.6),
    ("government", 0.06, -1.0),
    ("nonprofit", 0.06, -1.2),
)

# (country, share, region, core-market points)
COUNTRIES: tuple[tuple[str, float, str, float], ...] = (
    ("US", 0.38, "NA", 0.6),
    ("CA", 0.05, "NA", 0.5),
    ("GB", 0.11, "EMEA", 0.5),
    ("DE", 0.09, "EMEA", 0.5),
    ("FR", 0.06, "EMEA", 0.1),
    ("NL", 0.04, "EMEA", 0.5),
    ("AU", 0.05, "APAC", 0.1),
    ("IN", 0.09, "APAC", -0.3),
    ("SG", 0.03, "APAC", 0.1),
    ("BR", 0.05, "LATAM", -0.3),
    ("ES", 0.03, "EMEA", 0.0),
    ("SE", 0.02, "EMEA", 0.2),
)

# (title, seniority, department, share, persona points)
TITLES: tuple[tuple[str, str, str, float, float], ...] = (
    ("CEO", "c_level", "executive", 0.03, 1.0),
    ("Chief Revenue Officer", "c_level", "sales", 0.015, 1.6),
    ("CMO", "c_level", "marketing", 0.015, 1.6),
    ("VP Marketing", "vp", "marketing", 0.04, 1.8),
    ("VP Sales", "vp", "sales", 0.035, 1.6),
    ("VP Revenue Operations", "vp", "sales", 0.015, 2.0),
    ("Head of Revenue Operations", "director", "sales", 0.03, 2.0),
    ("Director of Demand Generation", "director", "marketing", 0.04, 1.6),
    ("Director of Marketing Operations", "director", "marketing", 0.03, 1.8),
    ("Sales Operations Director", "director", "sales", 0.025, 1.5),
    ("Marketing Manager", "manager", "marketing", 0.09, 0.8),
    ("Marketing Operations Manager", "manager", "marketing", 0.05, 1.2),
    ("Sales Manager", "manager", "sales", 0.05, 0.6),
    ("Revenue Operations Analyst", "individual", "sales", 0.04, 0.6),
    ("Account Executive", "individual", "sales", 0.05, 0.0),
    ("Marketing Specialist", "individual", "marketing", 0.07, 0.2),
    ("Content Marketer", "individual", "marketing", 0.04, 0.0),
    ("Software Engineer", "individual", "engineering", 0.07, -1.0),
    ("Data Analyst", "individual", "other", 0.04, -0.3),
    ("IT Manager", "manager", "it", 0.03, -0.6),
    ("HR Manager", "manager", "hr", 0.025, -1.2),
    ("Finance Manager", "manager", "finance", 0.025, -0.6),
    ("Operations Manager", "manager", "operations", 0.03, 0.2),
    ("Consultant", "individual", "other", 0.04, -0.5),
    ("Student", "student", "other", 0.02, -3.0),
    ("Marketing Intern", "student", "marketing", 0.015, -3.0),
)

FIRST_NAMES: tuple[str, ...] = (
    "Alex",
    "Sam",
    "Jordan",
    "Taylor",
    "Morgan",
    "Priya",
    "Wei",
    "Lena",
    "Jonas",
    "Amelie",
    "Lucas",
    "Sofia",
    "Mateo",
    "Hannah",
    "Arjun",
    "Chloe",
    "Noah",
    "Emma",
    "Liam",
    "Olivia",
    "Ravi",
    "Mia",
    "Ethan",
    "Zoe",
    "Daniel",
    "Nina",
    "Tom",
    "Sara",
    "Felix",
    "Ines",
    "Kenji",
    "Aisha",
    "Omar",
    "Lars",
    "Freya",
    "Diego",
    "Camila",
    "Ben",
    "Grace",
    "Ivan",
)
LAST_NAMES: tuple[str, ...] = (
    "Smith",
    "Johnson",
    "Lee",
    "Garcia",
    "Müller",
    "Schmidt",
    "Martin",
    "Dubois",
    "Rossi",
    "Patel",
    "Singh",
    "Chen",
    "Wang",
    "Kim",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Moore",
    "Clark",
    "Lewis",
    "Walker",
    "Hall",
    "Young",
    "King",
    "Wright",
    "Lopez",
    "Hill",
    "Green",
    "Adams",
    "Baker",
    "Nelson",
    "Carter",
    "Mitchell",
    "Perez",
    "Roberts",
    "Turner",
    "Jansen",
    "de Vries",
)

COMPANY_FIRST: tuple[str, ...] = (
    "North",
    "Blue",
    "Bright",
    "Silver",
    "Iron",
    "Clear",
    "Swift",
    "Green",
    "Red",
    "Open",
    "True",
    "Prime",
    "Cloud",
    "Stone",
    "Rapid",
    "Summit",
    "Harbor",
    "Pioneer",
    "Vertex",
    "Nova",
    "Atlas",
    "Beacon",
    "Cedar",
    "Delta",
    "Echo",
    "Falcon",
    "Granite",
    "Helix",
    "Indigo",
    "Juniper",
    "Keystone",
    "Lumen",
    "Maple",
    "Nimbus",
    "Orbit",
    "Pinnacle",
    "Quartz",
    "River",
    "Sequoia",
    "Tidal",
)
COMPANY_SECOND: tuple[str, ...] = (
    "wind",
    "path",
    "leaf",
    "line",
    "gate",
    "field",
    "bridge",
    "point",
    "works",
    "stack",
    "wave",
    "forge",
    "peak",
    "flow",
    "sight",
    "ware",
    "labs",
    "logic",
    "mark",
    "scale",
)
COMPANY_SUFFIX: tuple[str, ...] = ("Inc", "GmbH", "Ltd", "Group", "Systems", "Technologies")
TLDS: tuple[str, ...] = (".com", ".io", ".co", ".net")

FREE_MAIL: tuple[str, ...] = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com")
COMPETITOR_DOMAINS: tuple[str, ...] = ("rivalsoft.example", "competitor.example")

# Topics the product is about (the contract tracks them) and topics it is not.
TOPICS: tuple[str, ...] = (
    "data-quality",
    "lead-scoring",
    "revops-analytics",
    "pipeline-forecasting",
)
OFF_TOPICS: tuple[str, ...] = ("marketing-automation", "company-culture", "seo-basics")
CONTENT_TYPES: dict[str, tuple[str, ...]] = {
    "problem": ("ebook", "blog_post", "report"),
    "solution": ("whitepaper", "webinar", "guide"),
    "product": ("datasheet", "case_study", "demo_video"),
}

PAGES: tuple[tuple[str, float], ...] = (
    ("/", 0.14),
    ("/pricing", 0.06),
    ("/product", 0.08),
    ("/product/scoring", 0.05),
    ("/product/routing", 0.04),
    ("/customers", 0.04),
    ("/about", 0.04),
    ("/careers", 0.03),
    ("/docs/getting-started", 0.04),
    ("/blog/what-is-an-mql", 0.08),
    ("/blog/lead-scoring-mistakes", 0.08),
    ("/blog/revops-metrics", 0.07),
    ("/blog/forecast-accuracy", 0.06),
    ("/blog/crm-hygiene", 0.06),
    ("/blog/remote-team-culture", 0.05),
    ("/integrations", 0.08),
)

PRODUCTS: tuple[tuple[str, float], ...] = (
    ("Leadline Core", 18_000.0),
    ("Leadline Growth", 42_000.0),
    ("Leadline Enterprise", 110_000.0),
)

REJECT_REASONS: tuple[str, ...] = (
    "bad_fit",
    "no_intent",
    "student",
    "competitor",
    "duplicate",
    "not_now",
    "no_budget",
    "unreachable",
)

REPS: tuple[tuple[str, str, str, str, str], ...] = (
    # name, team, region, timezone, manager
    ("Amy Carter", "sdr", "NA", "America/New_York", "Dana Brooks"),
    ("Bo Nguyen", "sdr", "NA", "America/Chicago", "Dana Brooks"),
    ("Carla Diaz", "sdr", "NA", "America/Los_Angeles", "Dana Brooks"),
    ("Dev Mehta", "ae", "NA", "America/New_York", "Dana Brooks"),
    ("Elise Fischer", "sdr", "EMEA", "Europe/Berlin", "Marc Laurent"),
    ("Finn O'Brien", "sdr", "EMEA", "Europe/London", "Marc Laurent"),
    ("Greta Jansen", "ae", "EMEA", "Europe/Amsterdam", "Marc Laurent"),
    ("Hiro Tanaka", "sdr", "APAC", "Asia/Singapore", "Mei Lin"),
    ("Isla Ward", "ae", "APAC", "Australia/Sydney", "Mei Lin"),
    ("Jai Rao", "sdr", "APAC", "Asia/Kolkata", "Mei Lin"),
    ("Karin Berg", "sdr", "LATAM", "America/Sao_Paulo", "Dana Brooks"),
    ("Leo Souza", "ae", "LATAM", "America/Sao_Paulo", "Dana Brooks"),
    ("Max Holt", "sdr", "NA", "America/Denver", "Dana Brooks"),
)
