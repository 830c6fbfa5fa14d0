"""A page's independent questions are asked of the database at the same time
(models.base.ask_at_once): the answers come back in order, an error reaches the
caller, and the request's command count still sees every command."""

import threading

import pytest

from models.archives import Archive
from models.base import QUESTIONS_AT_ONCE, ask_at_once

from .conftest import on_ferretdb
from .dbcount import count_commands


def _question(answer, threads=None, barrier=None):
    def ask():
        if threads is not None:
            threads.add(threading.get_ident())
        if barrier is not None:
            barrier.wait()  # every question waits for the others: they are asked at the same time
        Archive.objects(name=f"无此人{answer}").first()  # one command
        return answer
    return ask


@pytest.mark.parametrize("how_many", [1, 2, 5, 9])
def test_the_answers_come_in_order_and_every_command_is_counted(app, how_many):
    Archive.objects(name="预热").first()  # the collection's index commands, once
    with count_commands() as count:
        answers = ask_at_once(*[_question(n) for n in range(how_many)])
    assert answers == list(range(how_many))
    assert count.value == how_many


@pytest.mark.skipif(not on_ferretdb(), reason="mongomock runs one operation at a time")
def test_the_questions_are_asked_at_the_same_time(app):
    barrier = threading.Barrier(QUESTIONS_AT_ONCE, timeout=30)  # broken (an error) if they came one by one
    with count_commands() as count:
        answers = ask_at_once(*[_question(n, barrier=barrier) for n in range(QUESTIONS_AT_ONCE)])
    assert answers == list(range(QUESTIONS_AT_ONCE))
    assert count.value == QUESTIONS_AT_ONCE


@pytest.mark.skipif(on_ferretdb(), reason="on mongomock only")
def test_on_mongomock_they_are_asked_in_turn(app):
    threads: set = set()
    assert ask_at_once(*[_question(n, threads) for n in range(3)]) == [0, 1, 2]
    assert threads == {threading.get_ident()}


def test_a_failed_question_fails_the_page(app):
    def broken():
        raise ValueError("坏的问题")

    with pytest.raises(ValueError, match="坏的问题"):
        ask_at_once(_question(1), broken)
