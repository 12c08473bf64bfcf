"""Names and limits of the GA4 Measurement Protocol, as the local collector enforces them.

From Google's GA4 Measurement Protocol reference (limits and reserved names); used by
consent.testing.collector.ga4.
"""

from __future__ import annotations

from consent._core.spec import GA4_RESERVED_EVENTS

# Google's Event Builder copy of the server list (2023-04-18). Google's own tool stopped treating
# screen_view and ad_impression as reserved in 2025, hence the default: the list a spec is held to
# when it is built (consent/_core/spec.py), kept there once.
DEFAULT_RESERVED_EVENT_NAMES = GA4_RESERVED_EVENTS
RESERVED_EVENT_NAMES_2023 = DEFAULT_RESERVED_EVENT_NAMES | {"screen_view", "ad_impression"}
RESERVED_PARAM_NAMES = frozenset({"firebase_conversion"})
RESERVED_USER_PROPERTIES = frozenset(
    {
        "first_open_time",
        "first_visit_time",
        "last_deep_link_referrer",
        "user_id",
        "first_open_after_install",
    }
)
RESERVED_PREFIXES = ("google_", "ga_", "firebase_")
# Item fields GA4 defines; any other item key is a custom param (at most 10 per item).
STANDARD_ITEM_PARAMS = frozenset(
    {
        "item_id",
        "item_name",
        "affiliation",
        "coupon",
        "discount",
        "index",
        "item_brand",
        "item_category",
        "item_category2",
        "item_category3",
        "item_category4",
        "item_category5",
        "item_list_id",
        "item_list_name",
        "item_variant",
        "location_id",
        "price",
        "quantity",
        "promotion_id",
        "promotion_name",
        "creative_name",
        "creative_slot",
    }
)
MAX_BODY_BYTES = 130_000
MAX_EVENTS = MAX_PARAMS = MAX_USER_PROPERTIES = 25
MAX_ITEM_CUSTOM_PARAMS = 10
MAX_EVENT_NAME = MAX_PARAM_NAME = 40
MAX_USER_PROPERTY_NAME, MAX_USER_PROPERTY_VALUE = 24, 36
MAX_PARAM_VALUE, MAX_PARAM_VALUE_GA360 = 100, 500
MAX_USER_ID = 256
MAX_AGE_MICROS = 72 * 3600 * 1_000_000
VALIDATION_BEHAVIOURS = ("RELAXED", "ENFORCE_RECOMMENDATIONS")
CONSENT_VALUES = ("GRANTED", "DENIED")
