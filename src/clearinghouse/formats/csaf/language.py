"""BCP 47 language tags (RFC 5646) as far as they can be checked without the IANA registry.

The syntax is checked in full; a two-letter primary language must be an ISO 639-1 code (the
registry holds exactly those, plus the deprecated in, iw, ji, jw, mo and sh), so "EZ" fails.
Three-letter languages, scripts and regions are checked for their form only.
"""

from __future__ import annotations

import re

# Whitespace-separated lists, kept compact; split once at import.
_ISO_639_1_CODES = """
    aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu
    hy hz ia id ie ig ii ik in io is it iu iw ja ji jv jw ka kg ki kj kk kl km kn ko kr ks ku kv
    kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mo mr ms mt my na nb nd ne ng nl nn no nr
    nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg sh si sk sl sm sn so sq
    sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi
    yo za zh zu
"""
_GRANDFATHERED_TAGS = """
    en-GB-oed i-ami i-bnn i-default i-enochian i-hak i-klingon i-lux i-mingo i-navajo i-pwn
    i-tao i-tay i-tsu sgn-BE-FR sgn-BE-NL sgn-CH-DE art-lojban cel-gaulish no-bok no-nyn
    zh-guoyu zh-hakka zh-min zh-min-nan zh-xiang
"""
_ISO_639_1 = frozenset(_ISO_639_1_CODES.split())
_GRANDFATHERED = frozenset(tag.lower() for tag in _GRANDFATHERED_TAGS.split())

_LANGTAG = re.compile(
    r"""
    (?P<language>[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8})
    (?:-[a-z]{4})?                                  # script
    (?:-(?:[a-z]{2}|[0-9]{3}))?                     # region
    (?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*        # variants
    (?:-[0-9a-wy-z](?:-[a-z0-9]{2,8})+)*            # extensions
    (?:-x(?:-[a-z0-9]{1,8})+)?                      # private use
    """,
    re.VERBOSE,
)
_PRIVATE_USE = re.compile(r"x(?:-[a-z0-9]{1,8})+")


def language_tag_problem(tag: str) -> str | None:
    """Why `tag` is not a valid BCP 47 language tag, or None when it is."""
    lowered = tag.lower()
    if lowered in _GRANDFATHERED or _PRIVATE_USE.fullmatch(lowered):
        return None
    match = _LANGTAG.fullmatch(lowered)
    if match is None:
        return f"{tag!r} is not a BCP 47 language tag"
    primary = match["language"].split("-")[0]
    if len(primary) == 2 and primary not in _ISO_639_1:
        return f"{tag!r}: {primary!r} is not a registered language (ISO 639-1)"
    if 5 <= len(primary) <= 8 or len(primary) == 4:
        return f"{tag!r}: the language subtag {primary!r} is reserved"
    return None
