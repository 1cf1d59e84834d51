"""A fact's dates: as_of (the day its figure refers to) and target_year.

FACTS.md "Dates": a written date counts when a cue ties it to the figure
("tính đến ngày 30.6.2022", "hết năm 2016", "trước tháng 7/2017"); a
resolution's effective date dates the state it creates; "đến nay" and
"hiện nay" give the publication date only when that is a full date, and
so does a state the report gives as current, unless the text sets it in a
past year or period. A target is dated only by a date written for it;
its year is "đến năm N", a deadline or the end of its period. The words
are rules/context.yaml's (rules/README.md lists them); parsing a written
date is pipeline.lang.dates.
"""
from __future__ import annotations

import re
from datetime import date

from pipeline.extract import words
from pipeline.lang.vntext import normalize
from pipeline.lang.dates import date_mentions, mention_regex, parse_vn_date, period_end

MAX_CUE_GAP = 30  # characters between a cue and the date it introduces


def compiled(ctx: dict) -> dict:
    """The date regexes of context.yaml (merged into context.patterns)."""
    parts = {normalize_word(w): part for part, listed in ctx["date_parts"].items() for w in listed}
    effective = ctx["effective_date"]
    year_words = words.alternation(ctx["target_year_words"])
    return {
        "date_mention": mention_regex(list(parts)),
        "date_parts": parts,
        "as_of_cue_end": re.compile(words.word_regex(ctx["as_of_cues"]).pattern + r"\s*$", re.I),
        "effective_cue": words.word_regex(effective["cues"]),
        "on_passing": words.word_regex(effective["on_passing"]),
        "passing": words.word_regex(effective["passing"]),
        "past_scope": words.word_regex(ctx["past_scope"]),
        "effective_indicators": set(effective["indicators"]),
        "deadline_cues": {normalize_word(w) for w in ctx["deadline_cues"]},
        "instruction": words.word_regex(ctx["instruction_words"]),
        "year_cue": re.compile(rf"(?<!\w)(?:{year_words})\s+(?:năm\s+)?(?P<year>(?:19|20)\d\d)(?!\d)", re.I),
        # "..., hoàn thành trước ngày 15-12-2025": a dated deadline after the figure
        "deadline_date": re.compile(rf"(?<!\w)(?:{words.alternation(ctx['deadline_cues'])})\s+ngày\s+\d{{1,2}}"
                                    r"\s*[-/.]\s*\d{1,2}\s*[-/.]\s*(?P<year>(?:19|20)\d\d)(?!\d)", re.I),
        "period": re.compile(rf"(?<!\w)(?:{words.alternation(ctx['period_words'])})\s+(?:từ\s+)?(?:năm\s+)?"
                             r"(?:19|20)\d\d\s*(?:-|–|đến)\s*(?:năm\s+)?(?P<year>(?:19|20)\d\d)(?!\d)", re.I),
    }


def normalize_word(word: str) -> str:
    return " ".join(normalize(word).lower().split())


def full_date(value) -> date | None:
    """A publication date usable as as_of: a day, never a bare month ("2024-12")."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return date.fromisoformat(value)
    return None


def cued_dates(text: str, pats, default_year: int | None, years: bool = True,
               cued_only: bool = False) -> list[tuple[int, date, str]]:
    """(position, day, cue) of every date in text a cue or a part word ties to a figure."""
    found = []
    for part_word, mention in date_mentions(text, pats["date_mention"]):
        part = pats["date_parts"].get(part_word) if part_word else None
        cued = pats["as_of_cue_end"].search(text[max(0, mention.start - MAX_CUE_GAP):mention.start])
        if not (cued or (part and not cued_only)) or (mention.kind == "year" and not years):
            continue
        if pats["effective_cue"].search(text[max(0, mention.start - 40):mention.start]):
            continue  # "có hiệu lực từ ngày ...": the resolution's date, for the states it creates only
        if mention.kind == "dayonly":  # "tính đến ngày 30-6": the title's or the publication's year
            day = safe_date(default_year, mention.month, mention.day) if default_year else None
        else:
            day = period_end(mention, part)
        if day:
            found.append((mention.start, day, (cued.group(1).lower() if cued else part_word)))
    return found


def safe_date(year, month, day) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def explicit_as_of(text: str, pats, default_year=None, years: bool = True, cued_only: bool = False) -> date | None:
    """The last cue-tied date in text (with years, "hết năm 2016" too)."""
    found = cued_dates(text, pats, default_year, years, cued_only)
    return found[-1][1] if found else None


def says_now(text: str, pats) -> bool:
    return bool(pats["as_of_now"].search(pats["as_of_now_not"].sub(" ", text)))


def effective_date(text: str, pats):
    """A resolution's effective date in a document: a date, False when it
    takes effect on a day the text does not give ("kể từ ngày ký"), None
    when the document states no effective date."""
    cue = words.last_match(pats["effective_cue"], text)
    if not cue:
        return None
    after = text[cue.end():cue.end() + 40]
    if pats["on_passing"].match(after.strip()):
        return passing_date(text, pats) or False
    mention = re.match(r"\s*(?:ngày\s+)?(\d{1,2}[./-]\d{1,2}[./-]\d{4})", after)
    return (parse_vn_date(mention.group(1)) or False) if mention else False


def passing_date(text: str, pats) -> date | None:
    """ "Ngày 7/12/2019, HĐND tỉnh ... đã ban hành Nghị quyết": the day a
    resolution was passed (a full date followed by a passing verb)."""
    for m in re.finditer(r"(?i)ngày\s+(\d{1,2}[./-]\d{1,2}[./-]\d{4})", text):
        if pats["passing"].search(text[m.end():m.end() + 80]):
            return parse_vn_date(m.group(1))
    return None


def document_dates(document: dict, pats) -> dict:
    """What the whole document says about time (kept in the scene)."""
    title = document.get("title") or ""
    title_year = re.search(r"(?<!\d)(?:19|20)\d\d(?!\d)", title)
    published = full_date(document.get("published"))
    raw = document.get("published")
    year = int(title_year.group()) if title_year else (published.year if published else
                                                       int(raw[:4]) if isinstance(raw, str) and raw[:4].isdigit() else None)
    return {"published_day": published, "default_year": year, "title": title.strip(),
            "effective": effective_date(document["text"], pats)}


def carry(sentence: str, carried, scene, pats):
    """The date a paragraph's sentence passes to the next ones."""
    return explicit_as_of(sentence, pats, scene.get("default_year")) or carried


def carry_scope(sentence: str, scoped: bool, pats) -> bool:
    """A past year or period said in a paragraph scopes its later sentences."""
    return scoped or time_scoped(sentence, pats)


def when(text, a_start, clause, status, state, scene, carried, scoped, pats, indicator=None) -> tuple[dict, str]:
    """as_of and target_year, and how as_of was decided (for confidence)."""
    if status == "target":
        return target_dates(text, a_start, clause, scene, carried, pats)
    as_of, how = achieved_as_of(text, a_start, clause, (state, indicator), scene, carried, scoped, pats)
    return {"as_of": as_of, "target_year": None}, how


def target_dates(text, a_start, clause, scene, carried, pats) -> tuple[dict, str]:
    """A target's year ("đến năm 2025", a deadline, a period's end); its
    as_of only from a date written for it ("tính đến ..."), "đến nay", or
    the report's day for an instruction without a year."""
    before, year = text[:a_start], target_year(text, a_start, clause[1], pats)
    found = cued_dates(before, pats, scene.get("default_year"), years=False)
    if found and found[-1][2] in pats["deadline_cues"]:  # "đảm bảo đến 15/12/2025, toàn bộ ...": a deadline
        return {"as_of": None, "target_year": year or found[-1][1].year}, "none"
    later = cued_dates(text[a_start:clause[1]], pats, scene.get("default_year"), years=False)
    deadline = next((d for _, d, cue in later if cue in pats["deadline_cues"]), None)
    year = year or (deadline.year if deadline else None)  # "..., hoàn thành trước ngày 15/12/2025"
    dated = found[-1][1] if found else None
    # A date carried from an earlier sentence does not date a target stated
    # as one ("chỉ tiêu giảm 40%"); a count followed by a plan keeps it.
    planned = pats["target_before"].search(text[clause[0]:a_start])
    as_of = dated or (None if planned else carried)
    # an instruction for no stated year ("khẩn trương thực hiện ... ít nhất ở
    # một xã") is dated by the report that gives it (gold/seeds 004)
    if as_of is None and year is None and pats["instruction"].search(text[clause[0]:a_start]):
        return {"as_of": scene.get("published_day"), "target_year": None}, "published"
    if as_of is None and says_now(before, pats):  # "Đến nay, ...; có 171 thôn thuộc diện phải sáp nhập"
        return {"as_of": scene.get("published_day"), "target_year": year}, "now"
    return {"as_of": as_of, "target_year": year}, "cue" if dated else "carried" if as_of else "none"


def achieved_as_of(text, a_start, clause, state_of, scene, carried, scoped, pats) -> tuple[date | None, str]:
    """A cue-tied date, "đến nay" (the publication day), nothing for a figure
    set in the past, a date carried from the paragraph, a resolution's
    effective date, else the publication day (a state the report gives as
    current; not for a headline, which a body repeat dates)."""
    (state, indicator), before, after = state_of, text[:a_start], text[a_start:clause[1]]
    year = scene.get("default_year")
    # after the number only a cue ("... đã được tinh giản tính đến tháng 2 năm
    # 2019"), not a comparison ("tăng 40% so với cuối năm 2018")
    dated = explicit_as_of(before, pats, year) or explicit_as_of(after, pats, year, cued_only=True)
    if dated:
        return dated, "cue"
    if says_now(before, pats):
        return scene.get("published_day"), "now"
    if time_scoped(before, pats):  # "Riêng năm 2018 đã tinh giản ...": not dated by the paragraph
        return None, "scoped"
    if state == "before":  # "sáp nhập 211 ấp thành 98 ấp": the state before, dated only by its own date
        return None, "scoped"
    if carried:
        return carried, "carried"
    effective = scene.get("effective")
    if effective is not None and indicator in pats["effective_indicators"]:
        # a resolution: the states it creates (and its decreases) take its date; its other units none
        return ((effective or None) if state == "after" else None), "effective"
    if scoped or text.strip() == scene.get("title"):
        return None, "scoped"
    return scene.get("published_day"), "published"


def time_scoped(text: str, pats) -> bool:
    """Does text set its figures in a past year, a period or before a merger?"""
    if pats["past_scope"].search(text) or pats["period"].search(text):
        return True
    return any(m.kind == "year" and not part for part, m in date_mentions(text, pats["date_mention"]))


def target_year(sentence, start, clause_end, pats) -> int | None:
    """The year a target is for: the last "đến năm N" or period end before
    the number, else the first after it in its clause. A dated deadline
    after the number in its clause ("hoàn thành trước ngày 15-12-2025") is
    the target's own and beats a term named earlier ("nhiệm kỳ 2025 – 2030")."""
    deadline = pats["deadline_date"].search(sentence, start, clause_end)
    if deadline:
        return int(deadline.group("year"))
    before = [m for p in ("year_cue", "period") for m in pats[p].finditer(sentence, 0, start)]
    if before:
        return int(max(before, key=lambda m: m.end()).group("year"))
    after = [m for p in ("year_cue", "period") for m in pats[p].finditer(sentence, start, clause_end)]
    return int(min(after, key=lambda m: m.start()).group("year")) if after else None
