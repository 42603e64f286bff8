"""The feed checker itself: it must catch what the old feeds did wrong."""

from cswb.testing.feeds import atom_problems, html_to_text, rss_problems

BROKEN = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-ca">
  <title>Updates</title>
  <link href="http://example.org/" rel="alternate"/>
  <id>http://example.org/</id>
  <updated>2025-01-01T10:00:00-05:00</updated>
  <entry>
    <title>First</title>
    <link href="http://example.org/1" rel="alternate"/>
    <id>actiontables-update-1</id>
    <updated>2025-01-01 10:00</updated>
    <summary type="text">Maps of <b>Region</b></summary>
  </entry>
  <entry>
    <id>actiontables-update-1</id>
    <updated>2025-01-01T10:00:00Z</updated>
  </entry>
</feed>"""


def test_it_lists_each_broken_must_of_rfc_4287():
    problems = "\n".join(atom_problems(BROKEN))
    assert "entry 1 id 'actiontables-update-1' is not an absolute IRI" in problems
    assert "entry 1 has no atom:author and neither has the feed" in problems
    assert "entry 1 atom:updated '2025-01-01 10:00' is not RFC 3339" in problems
    assert "of type text has child elements" in problems
    assert "entry 2 has 0 atom:title" in problems
    assert "entry 2 repeats the id" in problems
    assert "entry 2 has neither atom:content nor an alternate link" in problems
    assert "the feed has no atom:link rel=self" in problems


def test_it_checks_the_required_parts_of_rss():
    broken = b'<rss version="2.0"><channel><title>T</title><item><guid>x</guid>' \
             b"<pubDate>yesterday</pubDate></item></channel></rss>"
    problems = "\n".join(rss_problems(broken))
    assert "the channel has no link" in problems and "the channel has no description" in problems
    assert "item 1 has neither title nor description" in problems
    assert "guid 'x' is a permalink but not a URL" in problems
    assert "pubDate 'yesterday' is not an RFC 822 date" in problems


def test_html_text_is_what_a_reader_shows():
    markup = "<p>In &lt;Region&gt;</p>\n<ul><li>A &amp; B</li></ul>"
    assert html_to_text(markup) == "In <Region> A & B"
