"""nbconvert's last pass over a feedback page, the same bytes for less work.

HTMLExporter.from_notebook_node (nbconvert 7.17) parses every page it renders with BeautifulSoup's
html.parser, gives each `img` without alt an alt text, makes `.jp-Notebook div.jp-Cell-inputWrapper` and
`.jp-Notebook div.jp-OutputArea-output` focusable (tabindex 0), and returns str(soup). Parsing the body is
nearly all of it (0.08 s of CPU a page, the head's 125 kB of inlined CSS, one raw-text token, 0.4 ms of
it), and most of the body is the released notebook's highlighted code and rendered markdown, the same
on every student's page. `PagePass` parses each of those fragments once and the rest of each page anew.

How, and why the bytes are the same:
1. A fragment is used only if it is *plain* (`plain_core`): start tags `<name attr="value">` and end tags,
   strictly nested, none a void element (whose end tag bs4 remembers across the page) and none whose
   content html.parser reads as raw text (script, style, and the ones newer Pythons add); text with no `<`
   or `>`; every `&` a whole reference ending in `;`. Each of its tokens ends at a `>` or `;` inside it, so
   html.parser cuts it into the same tokens whatever stands before or after it, provided it starts at a
   token boundary outside raw text. Its text before the first tag and after the last stays in the page.
2. The page is parsed with each plain fragment replaced by a comment `<!--nonce:i'"-->` (the skeleton; the
   nonce is random and must not occur in the page). Finding that comment as a Comment node with exactly
   that text proves the parser stood at a token boundary outside raw text there. Comment and fragment
   both begin with `<`, so a token before them that looks one character ahead sees the same; one that
   searches further (an unclosed quote, tag or comment, for `'`, `"`, `>` or `-->`) finds it in the
   comment at the latest and runs into it; a `&#` that is no reference looks for a `;` anywhere after, and
   the comment has none, so the skeleton can only read the rest as text: the comment is lost either way,
   and the page takes the whole-page pass. The fragment, strictly nested and beginning and ending with a
   tag, leaves the parser and BeautifulSoup where the comment leaves them (the same open elements, no
   pending text, the void elements' list untouched), so the rest of the page parses as in the skeleton.
3. The fragment's own nodes are built as when it is parsed alone, but for what depends on the elements
   around it: whitespace-only text kept inside pre or textarea, the string class inside rt, rp, style,
   script or template, text left unescaped under script or style (any of these around a comment: the
   whole page is parsed instead), and the `.jp-Notebook` ancestor the tabindex selectors ask for: when an
   element around the comment matches `.jp-Notebook`, every element of the fragment has that ancestor,
   so the fragment's `div.jp-Cell-inputWrapper` and `div.jp-OutputArea-output` are made focusable.
4. str() writes the nodes in document order, each start tag with its attributes as edited, so the page's
   text is the skeleton's with each comment's text replaced by its fragment's.
Where any check fails, the page takes nbconvert's whole-page pass (`whole_page`), the same code.
tests/test_page_pass.py renders ordinary and hostile notebooks both ways and compares the bytes.
"""
from __future__ import annotations

import re
import secrets
from typing import Any, Optional

import soupsieve
from bs4 import BeautifulSoup, Comment
from bs4.builder import HTMLParserTreeBuilder

NO_ALT = "No description has been provided for this image"   # nbconvert's words
NOTEBOOK = ".jp-Notebook"
FOCUSED = ("div.jp-Cell-inputWrapper", "div.jp-OutputArea-output")   # made focusable inside NOTEBOOK
QUOTES = "'\""   # in each comment (step 2 above)
REMEMBERED = 5000   # fragments a pass keeps (each released notebook has under 100 cells)

_BUILDER = HTMLParserTreeBuilder()
# elements a plain fragment may not hold: void ones, and ones whose content some html.parser reads raw
NOT_IN_FRAGMENT = (frozenset(_BUILDER.empty_element_tags)
                   | {"script", "style", "textarea", "title", "plaintext", "xmp", "iframe", "noembed",
                      "noframes", "noscript"})
# elements around a fragment that change how its text is kept or written (step 3 above)
NOT_AROUND_FRAGMENT = (frozenset(_BUILDER.preserve_whitespace_tags) | frozenset(_BUILDER.string_containers)
                       | {"script", "style"})
# html.parser ends a tag's name only at an ASCII space, tab, CR, LF or form feed (not at \xa0, \x0b, \u2003, ...:
# "<div\xa0>" is an element named "div\xa0", which "</div>" does not close): so do these spaces, not \s
_TOKEN = re.compile(r"""<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:[ \t\n\r\f]+[a-zA-Z_:][-a-zA-Z0-9_:.]*="[^"<>]*")*)[ \t\n\r\f]*>"""
                    r"|[^<>&]+|&(?:[a-zA-Z][a-zA-Z0-9]*|#[0-9]+|#[xX][0-9a-fA-F]+);")
_NOTEBOOK_SELECTOR = soupsieve.compile(NOTEBOOK)


def edited_soup(html: str, in_notebook: bool = False) -> tuple[BeautifulSoup, int]:
    """What HTMLExporter.from_notebook_node does to a page before str(): the soup, and how many img had
    no alt (nbconvert logs that number). `in_notebook`: the text stands inside a NOTEBOOK element, so
    each FOCUSED element in it has that ancestor."""
    soup = BeautifulSoup(html, features="html.parser")
    missing_alt = 0
    for elem in soup.select("img:not([alt])"):
        elem.attrs["alt"] = NO_ALT
        missing_alt += 1
    for selector in FOCUSED:
        for elem in soup.select(selector if in_notebook else f"{NOTEBOOK} {selector}"):
            elem.attrs["tabindex"] = "0"
    return soup, missing_alt


def whole_page(html: str, in_notebook: bool = False) -> tuple[str, int]:
    """nbconvert's pass over the whole page (or over a fragment, `in_notebook` or not)."""
    soup, missing_alt = edited_soup(html, in_notebook)
    return str(soup), missing_alt


def plain_core(fragment: str) -> Optional[str]:
    """The fragment from its first tag to its last, if plain (step 1 above); else None."""
    start, end = fragment.find("<"), fragment.rfind(">") + 1
    if start < 0 or end <= start:
        return None
    core, pos, open_tags = fragment[start:end], 0, []
    while pos < len(core):
        token = _TOKEN.match(core, pos)
        if token is None:
            return None
        if token.group(2):
            name = token.group(2).lower()
            if name in NOT_IN_FRAGMENT:
                return None
            if not token.group(1):
                open_tags.append(name)
            elif not open_tags or open_tags.pop() != name:
                return None
        pos = token.end()
    return None if open_tags else core


class PagePass:
    """nbconvert's pass over pages that share fragments, each plain fragment parsed once per setting."""

    def __init__(self) -> None:
        self.nonce = secrets.token_hex(16)
        self._cores: dict[str, Optional[str]] = {}
        self._parsed: dict[tuple[str, bool], str] = {}
        self.last_way = ""   # "fragments" or "whole page": how the last page was made (for the tests)

    def __call__(self, html: str, fragments: list[str]) -> tuple[str, int]:
        """The page as nbconvert's pass writes it, and how many img had no alt; `fragments` are texts the
        template put into it, in order (any text is safe: ones not plain or not found are left in place)."""
        page = None if self.nonce in html else self._by_fragments(html, fragments)
        self.last_way = "whole page" if page is None else "fragments"
        return page if page is not None else whole_page(html)

    def _by_fragments(self, html: str, fragments: list[str]) -> Optional[tuple[str, int]]:
        pieces, cores, pos = [], [], 0
        for fragment in fragments:
            core = self._core(fragment)
            at = html.find(core, pos) if core else -1
            if at >= 0:
                pieces += [html[pos:at], f"<!--{self.nonce}:{len(cores)}{QUOTES}-->"]
                cores.append(core)
                pos = at + len(core)
        if not cores:
            return None
        soup, missing_alt = edited_soup("".join(pieces) + html[pos:])
        in_notebook = self._places(soup, len(cores))
        if in_notebook is None:
            return None
        parts = str(soup).split(f"<!--{self.nonce}:")
        if len(parts) != len(cores) + 1:
            return None
        out = [parts[0]]
        for i, (core, part) in enumerate(zip(cores, parts[1:])):
            label = f"{i}{QUOTES}-->"
            if not part.startswith(label):
                return None
            out += [self._parsed_alone(core, in_notebook[i]), part[len(label):]]
        return "".join(out), missing_alt

    def _core(self, fragment: str) -> Optional[str]:
        if fragment not in self._cores:
            if len(self._cores) >= REMEMBERED:
                self._cores.clear()
            self._cores[fragment] = plain_core(fragment)
        return self._cores[fragment]

    def _places(self, soup: BeautifulSoup, count: int) -> Optional[list[bool]]:
        """For each comment in the parsed skeleton, in order, whether an element around it matches
        .jp-Notebook; None unless each is there once, as a comment, with nothing around it that step 3
        rules out."""
        prefix, found = f"{self.nonce}:", []
        around: dict[int, tuple[bool, bool]] = {id(soup): (False, False)}   # element: (ruled out, in notebook)

        def place(tag: Any) -> tuple[bool, bool]:
            unknown = []   # a loop, not recursion: an output may nest thousands of elements
            while id(tag) not in around:
                unknown.append(tag)
                tag = tag.parent
            ruled_out, in_notebook = around[id(tag)]
            for tag in reversed(unknown):
                ruled_out = ruled_out or tag.name in NOT_AROUND_FRAGMENT
                in_notebook = in_notebook or bool(_NOTEBOOK_SELECTOR.match(tag))
                around[id(tag)] = (ruled_out, in_notebook)
            return ruled_out, in_notebook

        for node in soup.descendants:
            if type(node) is Comment and node.startswith(prefix):
                ruled_out, in_notebook = place(node.parent)
                if ruled_out or node != f"{prefix}{len(found)}{QUOTES}":
                    return None
                found.append(in_notebook)
        return found if len(found) == count else None

    def _parsed_alone(self, core: str, in_notebook: bool) -> str:
        """The fragment as nbconvert's pass writes it where it stands: inside a NOTEBOOK element or not."""
        key = (core, in_notebook)
        if key not in self._parsed:
            if len(self._parsed) >= REMEMBERED:
                self._parsed.clear()
            self._parsed[key] = whole_page(core, in_notebook)[0]   # no img: no void element is in a plain fragment
        return self._parsed[key]
