"""A fact's status: achieved or target (FACTS.md "status", "Status follows
who decides").

In order: a rule's own status; the state before a merger ("sáp nhập 35 tổ
thành 25 tổ": the 35) is achieved; the nearest status word before the
number in its clause (rules/context.yaml `target_before`, `achieved`;
in a document where a deciding body passed a resolution, `decided.future`
words such as "sẽ" are not target words); a target word after it; the
sentence's status for a clause that says nothing; the frame of its
paragraph or document ("Theo Đề án, ..."); else achieved.
"""
from __future__ import annotations

import re

from pipeline.extract import words
from pipeline.lang.dates import date_mentions
from pipeline.lang.vntext import normalize

PARENTHESIS = re.compile(r"\([^()]*\)")


def compiled(ctx: dict) -> dict:
    """The status regexes of context.yaml (merged into context.patterns)."""
    decided = ctx["decided"]
    future = {normalize(w).lower() for w in decided["future"]}
    strong = [w for w in ctx["target_before"] if normalize(w).lower() not in future]
    return {
        "target_strong": words.word_regex(strong),
        "target_frame": re.compile(r"^\W*" + words.word_regex(ctx["target_frames"]).pattern, re.I),
        "decider": words.word_regex(decided["deciders"]),
        "decision_act": words.word_regex(decided["acts"]),
        "status_not": words.word_regex(ctx["status_not"]),
        "weak_target": words.word_regex(ctx["weak_target"]),
        "resolution": words.word_regex(decided["resolutions"]),
        "numbered_resolution": re.compile(rf"(?i)(?:{words.alternation(decided['resolutions'])}) (?:số )?\d+/NQ"),
        "approx_words": words.word_regex([w for kind in ctx["approx"].values() for w in kind]),
        "before_state": words.word_regex(ctx["before_state"]),
        "after_state": words.word_regex(ctx["after_state"]),
        "state_not": words.word_regex(ctx["state_not"]),
    }


def decided_document(text: str, pats) -> bool:
    """Has a deciding body (HĐND, UBTVQH) passed the resolution the document
    reports? A sentence naming the body, a resolution and the act."""
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        acted = pats["decision_act"].search(sentence) or pats["numbered_resolution"].search(sentence)
        if pats["decider"].search(sentence) and acted and pats["resolution"].search(sentence):
            return True
    return False


def document_frame(document: dict, pats) -> dict:
    """The document's status frame: decided, and whether its opening
    paragraph sets it as a plan ("Theo Đề án ...")."""
    text = document["text"]
    paragraphs = [p for p in re.split(r"\n\s*\n|\n", text) if p.strip()]
    title = (document.get("title") or "").strip()
    opening = next((p for p in paragraphs if p.strip() != title), "")
    decided = decided_document(text, pats)
    return {"decided": decided, "plan_document": bool(pats["target_frame"].search(opening)) and not decided}


def status_window(sentence: str, a_start: int, pats) -> str:
    """The text before the number that can carry its status: back to the
    last ';', parenthesised asides blanked ("giảm (55 đơn vị) còn 36"), the
    head of an open parenthesis kept ("tối thiểu 2.529 (212 ..., 2.317")."""
    window = sentence[:a_start]
    window = window[window.rfind(";") + 1:]
    while PARENTHESIS.search(window):
        window = PARENTHESIS.sub(lambda m: " " * len(m.group()), window)
    window = window.replace("(", " ")
    return words.blank(pats["document_reference"], window)


def merger_state(sentence: str, a_start: int, a_end: int, change: str, pats) -> str | None:
    """ "before" for the state a merger starts from ("sáp nhập 35 tổ thành 25
    tổ", "từ 460 xã xuống còn 412 xã"), "after" for the state it makes and
    for a change, None otherwise."""
    if change != "count":
        return "after"
    window = words.blank(pats["state_not"], sentence[max(0, sentence.rfind(";", 0, a_start) + 1):a_start])
    before, after = words.last_match(pats["before_state"], window), words.last_match(pats["after_state"], window)
    if before and (not after or before.end() > after.end()):
        if before.group().lower().startswith("trước"):  # "trước khi sắp xếp, tỉnh có 233 xã": said outright
            return "before"
        rest = words.blank(pats["state_not"], sentence[a_end:a_end + 80])
        return "before" if pats["after_state"].search(rest) else None
    return "after" if after else None


def past_narrative(before: str, scene: dict, pats) -> bool:
    """ "năm 2022, các tỉnh tiếp tục giảm 711 phòng": a continuing word
    (context.yaml `weak_target`) in a sentence set in a year before the
    report's is a past result, not a target."""
    last = cue(pats["target_before"], status_window(before, len(before), pats), pats)
    if not (last and pats["weak_target"].fullmatch(last.group())):
        return False
    report = scene.get("published_day")
    years = [m.year for _, m in date_mentions(before, pats["date_mention"]) if m.kind == "year"]
    return bool(report and years) and max(years) < report.year


def cue(pattern: re.Pattern, text: str, pats):
    """The last status word of pattern in text: negated forms ("không
    phải") blanked, capitalised words inside a sentence ("Cần Thơ") skipped."""
    text = words.blank(pats["status_not"], text)
    found = [m for m in pattern.finditer(text) if not is_name(text, m.start())]
    return found[-1] if found else None


def is_name(text: str, start: int) -> bool:
    return text[start].isupper() and bool(re.search(r"\w[\s,]*$", text[:start]))


def cue_status(window: str, pats, decided: bool) -> str | None:
    targets = pats["target_strong"] if decided else pats["target_before"]
    target, done = cue(targets, window, pats), cue(pats["achieved"], window, pats)
    if target or done:
        return "target" if target and (not done or target.end() > done.end()) else "achieved"
    return None


def decide(sentence, a_start, a_end, clause, state, scene, frame, pats) -> tuple[str, str]:
    """(status, how): how is cue, state, after, sentence, frame or default."""
    decided = bool(scene.get("decided"))
    if state == "before":
        return "achieved", "state"
    window = status_window(sentence, a_start, pats)
    found = cue_status(window, pats, decided)
    if found == "target" and past_narrative(sentence[:a_start], scene, pats):
        return "achieved", "cue"
    if found:
        return found, "cue"
    after_words = pats["target_strong"] if decided else pats["target_after"]
    if cue(after_words, sentence[a_end:clause[1]], pats):
        return "target", "after"
    # a clause that only adds a figure ("...; giai đoạn 2022 - 2025 giảm 10%")
    # takes the status its sentence opens with
    if elliptical(sentence[clause[0]:a_start], pats) and lead_status(sentence, a_start, pats, decided) == "target":
        return "target", "sentence"
    if frame == "target" or scene.get("plan_document"):
        return "target", "frame"
    return "achieved", "default"


def lead_status(sentence: str, a_start: int, pats, decided: bool) -> str | None:
    """The status of the first ';' clause before the number that has a cue."""
    for part in words.blank(pats["document_reference"], sentence[:a_start]).split(";")[:-1]:
        found = cue_status(words.blank(PARENTHESIS, part), pats, decided)
        if found:
            return found
    return None


def elliptical(before: str, pats) -> bool:
    """A clause that only adds a figure ("...; 20% Bí thư ...", "...; giai
    đoạn 2022 - 2025 giảm 10%", "...; Huyện Phù Cừ: 4 xã"): no verb of its own
    other than a change word."""
    rest = words.blank(pats["period"], before)
    rest = re.sub(r"^[^:]{0,40}:", " ", rest)
    rest = words.blank(pats["decrease"], words.blank(pats["increase"], rest))
    rest = words.blank(pats["approx_words"], rest)
    return not re.search(r"\w", rest)


def paragraph_frame(sentence: str, frame, pats):
    """A paragraph opening with "Theo Đề án, ..." frames its later sentences."""
    return "target" if pats["target_frame"].search(sentence) else frame
