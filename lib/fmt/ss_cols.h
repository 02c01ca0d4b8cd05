/* SPDX-License-Identifier: MIT */
/*
 * ss_cols.h - ss's column renderer: cells are held, each column gets the
 * width of its widest cell (header included), and the held rows are
 * printed when the output ends or, as ss does, when about 5 MiB are held.
 * Not installed.
 */
#ifndef TULPEN_SS_COLS_H
#define TULPEN_SS_COLS_H

#include <stddef.h>
#include <stdint.h>
#include "tulpen/fmt.h"

/* ss's columns, in order (misc/ss.c enum col_id). */
enum ss_col {
	SS_C_NETID,
	SS_C_STATE,
	SS_C_RECVQ,
	SS_C_SENDQ,
	SS_C_ADDR,
	SS_C_SERV,
	SS_C_RADDR,
	SS_C_RSERV,
	SS_C_EXT, /* "Process": users:(...) and every extra after it */
	SS_C_LAST,
	SS_NCOLS,
};

struct ss_cell {
	size_t off;
	size_t len;
};

struct ss_cols {
	struct tulpen_buf text; /* the held cells' bytes */
	struct ss_cell *cells;	/* SS_NCOLS minus the disabled per row */
	size_t n, cap;
	size_t max_len[SS_NCOLS];  /* kept across renders, as ss does */
	unsigned int disabled;	   /* 1u << enum ss_col */
	int screen_width;	   /* a terminal's columns, 0: none */
	size_t chunks, chunk_used; /* ss's buffer, to render where it does */
	/*
	 * The open row's SS_C_EXT length: ss measures a field when the next
	 * one starts, so the last row's extras never widen their column.
	 */
	size_t ext_pending;
	int has_ext_pending;
};

int ss_cols_init(struct ss_cols *c, unsigned int disabled, int screen_width);
void ss_cols_fini(struct ss_cols *c);
/* The cell of column @col of the current row (columns come in order). */
int ss_cols_cell(struct ss_cols *c, enum ss_col col, const char *s, size_t n);
/* The header row: every column's title but the last. */
int ss_cols_header(struct ss_cols *c);
/* A row is complete: render into @out if ss would render now. */
int ss_cols_row_end(struct ss_cols *c, struct tulpen_buf *out);
/* Print every held row into @out and drop them. */
int ss_cols_render(struct ss_cols *c, struct tulpen_buf *out);
/* The end of the listing: the last row's extras unmeasured, as in ss. */
int ss_cols_finish(struct ss_cols *c, struct tulpen_buf *out);

#endif /* TULPEN_SS_COLS_H */
