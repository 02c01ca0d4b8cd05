// SPDX-License-Identifier: MIT
/*
 * fsm_diagram.c - RFC 9293's state diagram for a terminal, and the state
 * machine as Graphviz and as JSON, all from the transition table in
 * tcp_fsm.c.
 *
 * The terminal drawing is laid out by hand (an 80-column terminal leaves
 * no room for a layout engine); it shows exactly the rows marked as
 * figure 5 arrows, and what the figure leaves out is listed below it from
 * the table. The Graphviz output is generated from the table alone.
 */
#include <errno.h>
#include <string.h>

#include "tulpen/explain.h"
#include "tulpen/state.h"
#include "tulpen/tcp_fsm.h"

static const char *const art[] = {
	"                                 ┌────────────┐   active OPEN / snd "
	"SYN",
	"                                 │   CLOSED   "
	"├───────────────────────────┐",
	"                                 └──┬─────────┘                       "
	"    │",
	"                                    │   ▲   ▲                         "
	"    │",
	"                       passive OPEN │   │   "
	"└─────────────────────────┐   │",
	"                                    │   │ CLOSE          CLOSE        "
	"│   │",
	"                                    ▼   │                             "
	"│   │",
	"        rcv SYN / snd SYN,ACK    ┌──────┴─────┐  SEND / snd SYN       "
	"│   │",
	"      ┌──────────────────────────┤   LISTEN   ├───────────────────┐   "
	"│   │",
	"      │                          └────────────┘                   │   "
	"│   │",
	"      │                            ▲                              │   "
	"│   │",
	"      │   ┌────────────────────────┘                              │   "
	"│   │",
	"      │   │   rcv RST                                             │   "
	"│   │",
	"      ▼   │                                                       ▼   "
	"│   ▼",
	" ┌────────┴───┐          rcv SYN / snd SYN,ACK                  "
	"┌─────┴──────┐",
	" │SYN-RECEIVED│◀────────────────────────────────────────────────┤  "
	"SYN-SENT  │",
	" └─┬─────────┬┘                                                 "
	"└─────┬──────┘",
	"   │         │                                                        "
	"│",
	"   │         │                                                        "
	"│",
	"   │ CLOSE   │                                                        "
	"│",
	"   │ snd FIN │                                                        "
	"│",
	"   │         │ rcv ACK of SYN    ┌────────────┐ rcv SYN,ACK / snd ACK "
	"│",
	"   │         └──────────────────▶│ESTABLISHED "
	"│◀──────────────────────┘",
	"   │                             └──┬──────┬──┘",
	"   │           CLOSE / snd FIN      │      │  rcv FIN / snd ACK",
	"   │      ┌─────────────────────────┘      "
	"└──────────────────────────┐",
	"   │      │                                                           "
	"│",
	"   ▼      ▼                                                           "
	"▼",
	" ┌────────────┐  rcv FIN / snd ACK                              "
	"┌────────────┐",
	" │ FIN-WAIT-1 ├────────────────────────┐                        │ "
	"CLOSE-WAIT │",
	" └────┬───────┘                        │                        "
	"└─────┬──────┘",
	"      │                                │                              "
	"│",
	"      │ rcv ACK of FIN                 │              CLOSE / snd FIN "
	"│",
	"      │                                │                              "
	"│",
	"      ▼                                ▼                              "
	"▼",
	" ┌────────────┐                  ┌────────────┐                 "
	"┌────────────┐",
	" │ FIN-WAIT-2 │                  │  CLOSING   │                 │  "
	"LAST-ACK  │",
	" └────┬───────┘                  └─────┬──────┘                 "
	"└─────┬──────┘",
	"      │                                │                              "
	"│",
	"      │                 rcv ACK of FIN │               rcv ACK of FIN "
	"│",
	"      │                                │                              "
	"│",
	"      │                                ▼                              "
	"▼",
	"      │   rcv FIN / snd ACK      ┌────────────┐  Timeout=2MSL   "
	"┌────────────┐",
	"      └─────────────────────────▶│ TIME-WAIT  ├────────────────▶│   "
	"CLOSED   │",
	"                                 └────────────┘                 "
	"└────────────┘",
};

/* Box-drawing characters (3 bytes of UTF-8 each) and their ASCII forms. */
static const struct {
	const char *utf8;
	char ascii;
} glyphs[] = {
	{ "─", '-' }, { "│", '|' }, { "┌", '+' }, { "┐", '+' }, { "└", '+' },
	{ "┘", '+' }, { "├", '+' }, { "┤", '+' }, { "┬", '+' }, { "┴", '+' },
	{ "┼", '+' }, { "▶", '>' }, { "◀", '<' }, { "▲", '^' }, { "▼", 'v' },
};

static void put_ascii(struct tulpen_buf *b, const char *line)
{
	const char *p = line;
	size_t i;

	while (*p) {
		if ((unsigned char)*p < 0x80) {
			tulpen_buf_putc(b, *p++);
			continue;
		}
		for (i = 0; i < sizeof(glyphs) / sizeof(glyphs[0]); i++) {
			size_t n = strlen(glyphs[i].utf8);

			if (!strncmp(p, glyphs[i].utf8, n)) {
				tulpen_buf_putc(b, glyphs[i].ascii);
				p += n;
				break;
			}
		}
		if (i == sizeof(glyphs) / sizeof(glyphs[0]))
			tulpen_buf_putc(b, *p++); /* not reached */
	}
}

/* A transition worth listing: a real state change, not a capture view. */
static int listed(const struct tulpen_fsm_transition *t)
{
	return t->valid && t->event != TULPEN_FSM_EV_SENT &&
	       !(t->cond & TULPEN_FSM_DATA) && t->to != TULPEN_FSM_STAY;
}

static void put_from(struct tulpen_buf *b, uint32_t mask, const char *sep)
{
	int s, first = 1;

	for (s = 1; s < TULPEN_TCP_MAX_STATES; s++) {
		if (!(mask & TULPEN_SF(s)))
			continue;
		tulpen_buf_printf(b, "%s%s", first ? "" : sep,
				  tulpen_state_name(s, TULPEN_STATE_RFC));
		first = 0;
	}
}

/* Append @word, breaking the line before it when it would pass 78. */
static void put_word(struct tulpen_buf *b, size_t *col, const char *word,
		     size_t len)
{
	if (*col > 4 && *col + 1 + len > 78) {
		tulpen_buf_puts(b, "\n      ");
		*col = 6;
	} else if (*col > 4) {
		tulpen_buf_putc(b, ' ');
		(*col)++;
	}
	tulpen_buf_put(b, word, len);
	*col += len;
}

static void put_wrapped(struct tulpen_buf *b, const char *text)
{
	size_t col = 4;
	const char *p = text;

	tulpen_buf_puts(b, "    ");
	while (*p) {
		const char *w = p;

		while (*p && *p != ' ')
			p++;
		put_word(b, &col, w, (size_t)(p - w));
		while (*p == ' ')
			p++;
	}
	tulpen_buf_putc(b, '\n');
}

int tulpen_explain_diagram(struct tulpen_buf *b, int ascii)
{
	const struct tulpen_fsm_transition *t;
	struct tulpen_buf line;
	size_t i, n;
	int ret;

	tulpen_buf_puts(b, "TCP connection states (RFC 9293, figure 5). "
			   "rcv: segment received, snd: sent.\n\n");
	for (i = 0; i < sizeof(art) / sizeof(art[0]); i++) {
		if (ascii)
			put_ascii(b, art[i]);
		else
			tulpen_buf_puts(b, art[i]);
		tulpen_buf_putc(b, '\n');
	}
	tulpen_buf_puts(b, "\nSYN-RECEIVED goes back to LISTEN on a reset "
			   "only if it came from LISTEN.\n"
			   "Not drawn (from tulpen's state machine):\n");
	ret = tulpen_buf_init(&line, 0, NULL, NULL);
	if (ret)
		return ret;
	t = tulpen_fsm_table(&n);
	for (i = 0; i < n; i++) {
		if (!listed(&t[i]) || t[i].diagram)
			continue;
		line.len = 0;
		put_from(&line, t[i].from, ", ");
		tulpen_buf_printf(&line, " -> %s: %s%s",
				  tulpen_state_name(t[i].to, TULPEN_STATE_RFC),
				  t[i].label,
				  t[i].linux_only ? " (Linux)" : "");
		if (line.err)
			break;
		line.data[line.len] = '\0';
		put_wrapped(b, line.data);
	}
	if (line.err)
		b->err = line.err;
	tulpen_buf_fini(&line);
	tulpen_buf_puts(b, "Details: tulpen explain STATE\n"
			   "A picture: tulpen explain --dot | dot -Tsvg > "
			   "tcp.svg\n");
	return b->err;
}

/* Which kind of edge a row is drawn as. */
enum edge_style { EDGE_FIGURE, EDGE_OTHER, EDGE_LINUX, EDGE_NSTYLES };

static enum edge_style style_of(const struct tulpen_fsm_transition *t)
{
	if (t->diagram)
		return EDGE_FIGURE;
	return t->linux_only ? EDGE_LINUX : EDGE_OTHER;
}

static void dot_str(struct tulpen_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			tulpen_buf_putc(b, '\\');
		tulpen_buf_putc(b, *s);
	}
}

static const char *const edge_attrs[EDGE_NSTYLES] = {
	[EDGE_FIGURE] = "style=solid",
	[EDGE_OTHER] = "style=dashed, color=gray40, fontcolor=gray40",
	[EDGE_LINUX] = "style=dotted, color=blue, fontcolor=blue",
};

/* The edge @from -> @to of style @st, its rows' labels merged, if any. */
static void dot_edge(struct tulpen_buf *b, int from, int to, enum edge_style st)
{
	const struct tulpen_fsm_transition *t;
	size_t n, i;
	int first = 1;

	t = tulpen_fsm_table(&n);
	for (i = 0; i < n; i++) {
		if (!listed(&t[i]) || t[i].to != to ||
		    !(t[i].from & TULPEN_SF(from)) || style_of(&t[i]) != st)
			continue;
		if (first)
			tulpen_buf_printf(
				b, "\t\"%s\" -> \"%s\" [label=\"",
				tulpen_state_name(from, TULPEN_STATE_RFC),
				tulpen_state_name(to, TULPEN_STATE_RFC));
		else
			tulpen_buf_puts(b, "\\n");
		first = 0;
		dot_str(b, t[i].label);
	}
	if (!first)
		tulpen_buf_printf(b, "\", %s];\n", edge_attrs[st]);
}

int tulpen_explain_dot(struct tulpen_buf *b)
{
	int from, to, st;

	tulpen_buf_puts(b, "digraph tcp_states {\n"
			   "\tlabel=\"TCP connection states (RFC 9293); "
			   "solid: figure 5, dashed: other transitions, "
			   "dotted: Linux only\";\n"
			   "\tlabelloc=t;\n"
			   "\tnode [shape=box, style=rounded, "
			   "fontname=\"Helvetica\"];\n"
			   "\tedge [fontname=\"Helvetica\", fontsize=10];\n");
	for (from = 1; from < TULPEN_TCP_MAX_STATES; from++) {
		if (tulpen_fsm_is_rfc_state(from))
			tulpen_buf_printf(
				b, "\t\"%s\";\n",
				tulpen_state_name(from, TULPEN_STATE_RFC));
	}
	/* Rows as in figure 5: openers, closers, the end. */
	tulpen_buf_puts(b, "\t{ rank=same; \"SYN-RECEIVED\"; \"SYN-SENT\"; }\n"
			   "\t{ rank=same; \"FIN-WAIT-1\"; \"CLOSE-WAIT\"; }\n"
			   "\t{ rank=same; \"FIN-WAIT-2\"; \"CLOSING\"; "
			   "\"LAST-ACK\"; }\n");
	/* One edge per (from, to, style). */
	for (from = 1; from < TULPEN_TCP_MAX_STATES; from++) {
		if (!tulpen_fsm_is_rfc_state(from))
			continue;
		for (to = 1; to < TULPEN_TCP_MAX_STATES; to++) {
			if (to == from)
				continue;
			for (st = 0; st < EDGE_NSTYLES; st++)
				dot_edge(b, from, to, (enum edge_style)st);
		}
	}
	tulpen_buf_puts(b, "}\n");
	return b->err;
}

static void json_names(struct tulpen_buf *b, unsigned int bits,
		       const char *const *names, size_t n)
{
	size_t i;
	int first = 1;

	tulpen_buf_putc(b, '[');
	for (i = 0; i < n; i++) {
		if (!(bits & (1u << i)) || !names[i])
			continue;
		if (!first)
			tulpen_buf_putc(b, ',');
		tulpen_buf_json_str(b, names[i]);
		first = 0;
	}
	tulpen_buf_putc(b, ']');
}

int tulpen_explain_table_json(struct tulpen_buf *b)
{
	/* Bit i of the TCP flags byte and of the conditions. */
	static const char *const flag_names[8] = {
		"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR",
	};
	static const char *const cond_names[6] = {
		"SEQ_BAD", "ACK_BAD", "ACK_FIN", "DATA", "PASSIVE", "NEWER_SYN",
	};
	const struct tulpen_fsm_transition *t;
	size_t n, i;
	int s, first = 1;

	tulpen_buf_puts(b, "{\"states\":[");
	for (s = 1; s < TULPEN_TCP_MAX_STATES; s++) {
		if (!tulpen_fsm_is_rfc_state(s))
			continue;
		if (!first)
			tulpen_buf_putc(b, ',');
		tulpen_buf_json_str(b, tulpen_state_name(s, TULPEN_STATE_RFC));
		first = 0;
	}
	tulpen_buf_puts(b, "],\"transitions\":[");
	t = tulpen_fsm_table(&n);
	for (i = 0; i < n; i++) {
		tulpen_buf_puts(b, i ? ",\n{\"from\":[" : "\n{\"from\":[");
		first = 1;
		for (s = 1; s < TULPEN_TCP_MAX_STATES; s++) {
			if (!(t[i].from & TULPEN_SF(s)))
				continue;
			if (!first)
				tulpen_buf_putc(b, ',');
			tulpen_buf_json_str(
				b, tulpen_state_name(s, TULPEN_STATE_RFC));
			first = 0;
		}
		tulpen_buf_puts(b, "],\"event\":");
		tulpen_buf_json_str(b, tulpen_fsm_event_name(t[i].event));
		tulpen_buf_puts(b, ",\"flags_tested\":");
		json_names(b, t[i].flags_mask, flag_names, 8);
		tulpen_buf_puts(b, ",\"flags_set\":");
		json_names(b, t[i].flags, flag_names, 8);
		tulpen_buf_puts(b, ",\"conditions_tested\":");
		json_names(b, t[i].cond_mask, cond_names, 6);
		tulpen_buf_puts(b, ",\"conditions_set\":");
		json_names(b, t[i].cond, cond_names, 6);
		tulpen_buf_puts(b, ",\"to\":");
		if (t[i].to == TULPEN_FSM_STAY)
			tulpen_buf_puts(b, "null");
		else
			tulpen_buf_json_str(
				b,
				tulpen_state_name(t[i].to, TULPEN_STATE_RFC));
		tulpen_buf_puts(b, ",\"send\":");
		json_names(b, t[i].send, flag_names, 8);
		tulpen_buf_printf(b,
				  ",\"valid\":%s,\"rfc_figure\":%s,"
				  "\"linux_only\":%s,\"label\":",
				  t[i].valid ? "true" : "false",
				  t[i].diagram ? "true" : "false",
				  t[i].linux_only ? "true" : "false");
		tulpen_buf_json_str(b, t[i].label);
		tulpen_buf_puts(b, ",\"why\":");
		tulpen_buf_json_str(b, t[i].why);
		tulpen_buf_putc(b, '}');
	}
	tulpen_buf_puts(b, "\n]}\n");
	return b->err;
}
