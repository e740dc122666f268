"""The languages the catalogs hold (rewards_api/translations, pos_plugin/translations):
the one list the stores, the shoppers' choice and the pages read. How a request's
language is chosen is ``rewards_api.i18n``."""

ENGLISH = "en"
# Every language the catalogs hold, English first. Portuguese is Portugal's (pt).
LANGUAGES = (ENGLISH, "de", "pt")
# How each language names itself (the shopper app's language switch).
NATIVE_NAMES = {"en": "English", "de": "Deutsch", "pt": "Português"}
