"""A caption in a narrow column wraps between words, never inside a date ("2026-12-" / "02")."""

from django.template import Context, Template


def render(text):
    return Template("{% load portal_tags %}{{ text|keep_dates }}").render(Context({"text": text}))


def test_each_day_and_month_is_kept_on_one_line():
    assert render("As at 2026-12-02") == 'As at <span class="text-nowrap">2026-12-02</span>'
    assert render("2026-11至2026-12-02（统计期进行中）") == (
        '<span class="text-nowrap">2026-11</span>至<span class="text-nowrap">2026-12-02</span>（统计期进行中）'
    )
    assert render("2026年") == "2026年"


def test_the_caption_is_escaped_before_dates_are_kept():
    assert render("<b>2026-12-02</b>") == '&lt;b&gt;<span class="text-nowrap">2026-12-02</span>&lt;/b&gt;'
