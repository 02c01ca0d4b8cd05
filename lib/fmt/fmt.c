// SPDX-License-Identifier: MIT
/*
 * fmt.c - pick an output back end and drive it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fmt/fmt_internal.h"

int tulpen_fmt_new(enum tulpen_fmt_kind kind,
		   const struct tulpen_fmt_opts *opts, tulpen_sink_fn sink,
		   void *sink_priv, struct tulpen_fmt **out)
{
	struct tulpen_fmt *f;
	int ret;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	switch (kind) {
	case TULPEN_FMT_TABLE:
		f->ops = &tulpen_fmt_table_ops;
		break;
	case TULPEN_FMT_JSON:
		f->ops = &tulpen_fmt_json_ops;
		break;
	case TULPEN_FMT_NDJSON:
		f->ops = &tulpen_fmt_ndjson_ops;
		break;
	case TULPEN_FMT_NETSTAT:
		f->ops = &tulpen_fmt_netstat_ops;
		break;
	case TULPEN_FMT_SS:
		f->ops = &tulpen_fmt_ss_ops;
		break;
	default:
		free(f);
		return -EINVAL;
	}
	if (opts)
		f->o = *opts;
	ret = tulpen_buf_init(&f->out, 0, sink, sink_priv);
	if (ret)
		goto err;
	if (f->ops->init) {
		ret = f->ops->init(f);
		if (ret)
			goto err_buf;
	}
	*out = f;
	return 0;
err_buf:
	tulpen_buf_fini(&f->out);
err:
	free(f);
	return ret;
}

int tulpen_fmt_sock(struct tulpen_fmt *f, const struct tulpen_sock *s,
		    const struct tulpen_owner *owners, size_t nowners)
{
	int ret = f->ops->sock(f, s, owners, nowners);

	f->count++;
	return ret ? ret : f->out.err;
}

int tulpen_fmt_end(struct tulpen_fmt *f)
{
	int ret = 0;

	if (f->ops->end)
		ret = f->ops->end(f);
	if (!ret)
		ret = tulpen_buf_flush(&f->out);
	return ret ? ret : f->out.err;
}

int tulpen_fmt_flush(struct tulpen_fmt *f)
{
	return tulpen_buf_flush(&f->out);
}

void tulpen_fmt_free(struct tulpen_fmt *f)
{
	if (!f)
		return;
	if (f->ops->fini)
		f->ops->fini(f);
	tulpen_buf_fini(&f->out);
	free(f);
}
