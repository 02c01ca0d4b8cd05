// SPDX-License-Identifier: MIT
/*
 * ss_cols.c - the column layout of ss (iproute2 misc/ss.c, render()) when
 * its output is not a terminal: each column as wide as its widest cell
 * plus its left delimiter, addresses right-aligned, the rest left-aligned
 * and padded, the last two columns without delimiter. ss holds its output
 * in 1 MiB chunks and renders when a row ends with five of them in use;
 * the same model decides here when held rows are printed, so that long
 * listings break their widths where ss's do.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fmt/ss_cols.h"

#define SS_CHUNK_DATA (1024 * 1024 - 16) /* a chunk less its header */
#define SS_CHUNKS_MAX 5

static const struct {
	const char *title;
	const char *ldelim;
	int right;
} col_def[SS_NCOLS] = {
	[SS_C_NETID] = { "Netid", "", 0 },
	[SS_C_STATE] = { "State", " ", 0 },
	[SS_C_RECVQ] = { "Recv-Q", " ", 0 },
	[SS_C_SENDQ] = { "Send-Q", " ", 0 },
	[SS_C_ADDR] = { "Local Address:", " ", 1 },
	[SS_C_SERV] = { "Port", "", 0 },
	[SS_C_RADDR] = { "Peer Address:", " ", 1 },
	[SS_C_RSERV] = { "Port", "", 0 },
	[SS_C_EXT] = { "Process", "", 0 },
	[SS_C_LAST] = { "", "", 0 },
};

int ss_cols_init(struct ss_cols *c, unsigned int disabled, int screen_width)
{
	memset(c, 0, sizeof(*c));
	c->disabled = disabled & ~(1u << SS_C_LAST);
	c->screen_width = screen_width > 0 ? screen_width : 0;
	return tulpen_buf_init(&c->text, 0, NULL, NULL);
}

void ss_cols_fini(struct ss_cols *c)
{
	tulpen_buf_fini(&c->text);
	free(c->cells);
	c->cells = NULL;
}

/* ss's chunk accounting for one token of @len bytes. */
static void model_token(struct ss_cols *c, size_t len)
{
	size_t need = 2 + len + (len & 1);

	if (!c->chunks ||
	    (c->chunk_used && c->chunk_used + need > SS_CHUNK_DATA)) {
		c->chunks++;
		c->chunk_used = 0;
	}
	c->chunk_used += need;
}

/* The previous row's extras count for their column's width now. */
static void measure_ext(struct ss_cols *c)
{
	if (c->ext_pending > c->max_len[SS_C_EXT])
		c->max_len[SS_C_EXT] = c->ext_pending;
	c->has_ext_pending = 0;
}

int ss_cols_cell(struct ss_cols *c, enum ss_col col, const char *s, size_t n)
{
	struct ss_cell *cell;

	if (c->disabled & (1u << col))
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;
		struct ss_cell *nc = realloc(c->cells, cap * sizeof(*nc));

		if (!nc)
			return -ENOMEM;
		c->cells = nc;
		c->cap = cap;
	}
	cell = &c->cells[c->n++];
	cell->off = c->text.len;
	cell->len = n;
	if (col != SS_C_LAST && c->has_ext_pending)
		measure_ext(c);
	if (col == SS_C_EXT) {
		c->ext_pending = n;
		c->has_ext_pending = 1;
	} else if (n > c->max_len[col]) {
		c->max_len[col] = n;
	}
	model_token(c, n);
	return tulpen_buf_put(&c->text, s, n);
}

int ss_cols_header(struct ss_cols *c)
{
	int col, ret = 0;

	for (col = 0; col < SS_NCOLS && !ret; col++)
		ret = ss_cols_cell(c, col, col_def[col].title,
				   strlen(col_def[col].title));
	return ret;
}

/* The columns of [@from, @to] share what @len leaves of the screen. */
static void spread(size_t *width, int from, int to, size_t len, size_t screen,
		   int linecols)
{
	size_t pad = screen - len, spacing = pad / (size_t)linecols;
	size_t rem = pad % (size_t)linecols;
	int col;

	for (col = to; col >= from; col--) {
		if (!width[col])
			continue;
		width[col] += spacing;
		if (rem) {
			width[col]++;
			rem--;
		}
	}
}

/* Whether a column after @col has a width. */
static int more_cols(const size_t *width, int col)
{
	for (col++; col < SS_NCOLS; col++)
		if (width[col])
			return 1;
	return 0;
}

/*
 * On a terminal, as ss's render_calc_width(): the columns that fit on a
 * line get the rest of its width, spread evenly from the right; a column
 * that does not fit starts the next line.
 */
static void fit_screen(size_t *width, size_t screen)
{
	size_t len = 0;
	int col, eol = -1, linecols = 0;

	for (col = 0; col < SS_NCOLS; col++) {
		if (!width[col])
			continue;
		linecols++;
		len += width[col];
		if (more_cols(width, col) && len < screen)
			continue;
		if (len != screen) {
			if (len > screen) { /* back one column */
				len -= width[col];
				col--;
				linecols--;
			}
			if (linecols)
				spread(width, eol + 1, col, len, screen,
				       linecols);
		}
		eol = col;
		len = 0;
		linecols = 0;
	}
}

/*
 * render_calc_width() of ss: each column its widest cell and its left
 * delimiter (not the first), at most the screen; spread on a terminal.
 */
static void calc_width(const struct ss_cols *c, size_t *width)
{
	size_t screen = c->screen_width ? (size_t)c->screen_width : SIZE_MAX;
	int col, first = 1;

	for (col = 0; col < SS_NCOLS; col++) {
		width[col] = 0;
		if (c->disabled & (1u << col))
			continue;
		width[col] = c->max_len[col];
		if (!first && width[col])
			width[col] += strlen(col_def[col].ldelim);
		if (width[col] > screen)
			width[col] = screen;
		if (width[col])
			first = 0;
	}
	if (c->screen_width)
		fit_screen(width, screen);
}

static int next_col(const struct ss_cols *c, int col, struct tulpen_buf *out)
{
	do {
		if (col == SS_C_LAST) {
			tulpen_buf_putc(out, '\n');
			col = 0;
		} else {
			col++;
		}
	} while (c->disabled & (1u << col));
	return col;
}

static int render(struct ss_cols *c, struct tulpen_buf *out);

int ss_cols_render(struct ss_cols *c, struct tulpen_buf *out)
{
	if (c->has_ext_pending)
		measure_ext(c);
	return render(c, out);
}

int ss_cols_finish(struct ss_cols *c, struct tulpen_buf *out)
{
	c->has_ext_pending = 0;
	return render(c, out);
}

static int render(struct ss_cols *c, struct tulpen_buf *out)
{
	size_t width[SS_NCOLS], i;
	int col = 0, started = 0;

	if (!c->n)
		return out->err;
	calc_width(c, width);
	while (col < SS_NCOLS - 1 && !width[col])
		col++;
	for (i = 0; i < c->n; i++) {
		const struct ss_cell *cell = &c->cells[i];
		size_t printed = 0, w = width[col];

		if (started++) {
			tulpen_buf_puts(out, col_def[col].ldelim);
			printed = strlen(col_def[col].ldelim);
		}
		if (w && col_def[col].right && w > cell->len + printed) {
			tulpen_buf_pad(out, ' ', w - cell->len - printed);
			printed = w - cell->len;
		}
		tulpen_buf_put(out, c->text.data + cell->off, cell->len);
		printed += cell->len;
		if (w && !col_def[col].right && w > printed)
			tulpen_buf_pad(out, ' ', w - printed);
		if (col == SS_C_LAST)
			started = 0;
		col = next_col(c, col, out);
	}
	if (started)
		tulpen_buf_putc(out, '\n');
	c->n = 0;
	c->text.len = 0;
	c->chunks = 0;
	c->chunk_used = 0;
	return out->err;
}

int ss_cols_row_end(struct ss_cols *c, struct tulpen_buf *out)
{
	if (c->text.err)
		return c->text.err;
	if (c->chunks >= SS_CHUNKS_MAX)
		return ss_cols_render(c, out);
	return 0;
}
