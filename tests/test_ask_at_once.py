"""A page's independent questions are asked of the database at the same time
(models.base.ask_at_once): the answers come back in order, an error reaches the
caller, and the request's command count still sees every command."""

import threading

import pytest

from models.archives import Archive
from models.base import ask_at_once

from .conftest import on_ferretdb
from .dbcount import count_commands


def _question(answer, threads):
    def ask():
        threads.add(threading.get_ident())
        Archive.objects(name=f"无此人{answer}").first()  # one command
        return answer
    return ask


@pytest.mark.parametrize("how_many", [1, 2, 5, 9])
def test_the_answers_come_in_order_and_every_command_is_counted(app, how_many):
    threads: set = set()
    Archive.objects(name="预热").first()  # the collection's index commands, once
    with count_commands() as count:
        answers = ask_at_once(*[_question(n, threads) for n in range(how_many)])
    assert answers == list(range(how_many))
    assert count.value == how_many
    if on_ferretdb() and how_many > 1:
        assert len(threads) > 1  # asked from several threads, not in turn
    else:
        assert threads == {threading.get_ident()}  # mongomock runs one operation at a time


def test_a_failed_question_fails_the_page(app):
    def broken():
        raise ValueError("坏的问题")

    with pytest.raises(ValueError, match="坏的问题"):
        ask_at_once(_question(1, set()), broken)
