"""Word forms for one process, with the dictionaries in memory only while they are needed.

pymorphy3 and lemminflect take ~100 MB: a Matcher compile or a /search borrows them through
`WordForms.loaded()` and lets them go afterwards; words expanded before come from an LRU.
"""

from __future__ import annotations

import ctypes
import gc
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.forms import FormExpander  # imported when first needed: it loads pymorphy3

Expand = Callable[[str], Iterable[str]]


# Expanded words remembered between compiles: ~30 forms a word, a few MB for a thousand terms.
FORMS_KEPT = 4096


class WordForms:
    """Word forms for one process, with the dictionaries (~100 MB) in memory only while needed.

    `loaded()` lends an `Expand` for one compile or query. A word expanded before comes from an
    LRU of expanded words; a new one loads the dictionaries (0.5–0.7 s), which are let go when
    the block ends, and their memory handed back to the OS. One block at a time: the Poller's
    compile and the bot's /search run on different threads.
    """

    def __init__(self, kept: int = FORMS_KEPT) -> None:
        self._kept = kept
        self._forms: OrderedDict[str, frozenset[str]] = OrderedDict()
        self._expander: FormExpander | None = None
        self._lock = threading.RLock()

    @contextmanager
    def loaded(self) -> Iterator[Expand]:
        with self._lock:
            try:
                yield self.forms
            finally:
                self.release()

    @property
    def dictionaries_loaded(self) -> bool:
        return self._expander is not None

    def forms(self, word: str) -> frozenset[str]:
        """The forms of `word`; loads the dictionaries if it is new (they stay until `release`)."""
        with self._lock:
            found = self._forms.get(word)
            if found is not None:
                self._forms.move_to_end(word)
                return found
            if self._expander is None:
                from monitor.forms import FormExpander

                self._expander = FormExpander()
            found = self._forms[word] = self._expander.forms(word)
            if len(self._forms) > self._kept:
                self._forms.popitem(last=False)
            return found

    def release(self) -> None:
        """Let go of the dictionaries, if loaded, and return the freed memory to the OS."""
        with self._lock:
            if self._expander is None:
                return
            self._expander.close()
            self._expander = None
            gc.collect()  # the dictionaries' objects hold cycles
            _trim_heap()


def _trim_heap() -> None:
    """glibc keeps freed small blocks for reuse; malloc_trim hands whole free pages back."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):
        pass  # not glibc (musl, macOS): nothing to trim


@cache
def default_forms() -> WordForms:
    """The process's word forms: one LRU, shared by the Matchers and /search."""
    return WordForms()


def default_expander() -> Expand:
    """Forms on demand for code outside a compile; the dictionaries stay loaded until
    `default_forms().release()`. Matcher and search use `default_forms().loaded()` instead."""
    return default_forms().forms
