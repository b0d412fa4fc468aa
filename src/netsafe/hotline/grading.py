"""The vocabulary of an assessment: age bands, sexes and site types.

Apart from the assessment workflow so `netsafe hotline assess --help` and forms list them without a store.
"""

AGE_BANDS = ("0-2", "3-6", "7-10", "11-13", "14-15", "16-17")  # youngest first
SEXES = ("girls", "boys", "both", "unidentifiable")
SITE_TYPES = (
    "image_host",
    "forum",
    "cyberlocker",
    "website",
    "social_network",
    "video_host",
    "blog",
    "chat",
    "search_engine",
    "other",
)
