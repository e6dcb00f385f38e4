from markdown_it import MarkdownIt

from policies.approvals import describe

MD = MarkdownIt("commonmark").enable("table")


def test_a_multi_line_draft_is_shown_whole_outside_the_argument_table():
    body = "Hi <PERSON_1>,\n\nCould we meet this week?\n\n<PERSON_2>"
    html = MD.render(
        describe("canvas_send_message", {"pidm": "<PIDM_1>", "subject": "a|b", "body": body},
                 "score 0.62", ["requested by agent:alerts"])
    )
    table = html[html.index("<table>"): html.index("</table>")]
    assert "<code>&lt;PIDM_1&gt;</code>" in table
    assert "<code>a|b</code>" in table  # an escaped pipe stays in its cell
    assert "PERSON_1" not in table and "Could we meet" not in table
    block = html[html.index("<pre>"): html.index("</pre>")]
    assert "Hi &lt;PERSON_1&gt;,\n\nCould we meet this week?\n\n&lt;PERSON_2&gt;" in block
