// SPDX-License-Identifier: MIT
/*
 * pcap_decode.c - capture files through libpcap, frames to TCP segments
 * (the frame decoder itself is pcap_frame.c and pcap_tunnel.c).
 *
 * A frame the decoder cannot look into (a link type it does not know, a
 * tunnel payload of an unknown kind) is counted by reason, so that the
 * run can end with a note saying how many were skipped and why.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <pcap/pcap.h>

#include "tulpen/pcap_decode.h"
#include "pcap/pcap_classic.h"
#include "pcap/pcap_input.h"
#include "pcap/pcapng.h"

const char *tulpen_tunnel_name(int type)
{
	static const char *const names[TULPEN_TUNNEL_NTYPES] = {
		"NONE",	  "IP",	   "GRE",    "VXLAN",
		"GENEVE", "GTPv1", "TEREDO", "AYIYA",
	};

	if (type < 0 || type >= TULPEN_TUNNEL_NTYPES)
		return "unknown";
	return names[type];
}

/* A frame as either reader gives it. */
struct frame {
	int dlt;
	const uint8_t *data;
	uint32_t caplen, len;
	int64_t ts_ns;
};

struct tulpen_pcap_reader {
	struct tulpen_ctx *ctx;
	pcap_t *pcap;
	struct pcapng *ng;	 /* pcapng: read here, not by libpcap */
	struct pcap_classic *cl; /* classic, while it reads (not libpcap) */
	char *path;
	int dlt;
	int nano;
	int classic; /* classic pcap: seconds are unsigned 32-bit */
	char *why;   /* the decompressor's complaint, or "" (owned) */
	uint64_t num;
	tulpen_pcap_warn_fn warn;
	void *warn_priv;
	struct tulpen_pcap_stats st;
	struct tulpen_pcap_skip skip[TULPEN_PCAP_SKIP_KINDS];
};

/* Common to both openers: @pcap is the opened handle or NULL. */
static int reader_init(struct tulpen_ctx *ctx, const char *name, pcap_t *pcap,
		       const char *errbuf, tulpen_pcap_warn_fn warn,
		       void *warn_priv, struct tulpen_pcap_reader **out)
{
	struct tulpen_pcap_reader *r;
	r = calloc(1, sizeof(*r));
	if (!r) {
		if (pcap)
			pcap_close(pcap);
		return -ENOMEM;
	}
	r->path = strdup(name);
	if (!r->path) {
		if (pcap)
			pcap_close(pcap);
		free(r);
		return -ENOMEM;
	}
	r->ctx = ctx;
	r->warn = warn;
	r->warn_priv = warn_priv;
	r->pcap = pcap;
	if (!r->pcap) {
		const char *msg = errbuf[0] ? errbuf : "cannot open";
		size_t n = strlen(name);

		/* libpcap sometimes names the file itself. */
		if (!strncmp(msg, name, n) && msg[n] == ':' &&
		    msg[n + 1] == ' ')
			msg += n + 2;
		tulpen_ctx_seterr(ctx, "%s: %s", r->path, msg);
		goto fail;
	}
	r->nano = pcap_get_tstamp_precision(r->pcap) ==
		  PCAP_TSTAMP_PRECISION_NANO;
	r->dlt = pcap_datalink(r->pcap);
	*out = r;
	return 0;
fail:
	tulpen_pcap_close(r);
	return -EINVAL;
}

int tulpen_pcap_open(struct tulpen_ctx *ctx, const char *path,
		     tulpen_pcap_warn_fn warn, void *warn_priv,
		     struct tulpen_pcap_reader **out)
{
	const char *name = strcmp(path, "-") ? path : "<stdin>";
	FILE *fp;

	fp = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!fp) {
		int err = errno;

		tulpen_ctx_seterr(ctx, "%s: %s", path, strerror(err));
		return -err;
	}
	/*
	 * libpcap reads a savefile record by record through stdio: a large
	 * buffer saves most of the read() calls. Set before any read.
	 */
	setvbuf(fp, NULL, _IOFBF, 1 << 20);
	return tulpen_pcap_open_fp(ctx, fp, name, warn, warn_priv, out);
}

#define WHY_SIZE 160

/* pcapng: tulpen's own reader (several link types, both byte orders). */
static int open_pcapng(struct tulpen_ctx *ctx, FILE *in, const char *name,
		       char *why, tulpen_pcap_warn_fn warn, void *warn_priv,
		       struct tulpen_pcap_reader **out)
{
	struct tulpen_pcap_reader *r = calloc(1, sizeof(*r));
	char err[200];
	int ret;

	if (r)
		r->path = strdup(name);
	if (!r || !r->path) {
		free(r);
		free(why);
		fclose(in);
		return -ENOMEM;
	}
	ret = pcapng_open(in, &r->ng, err, sizeof(err));
	if (ret) {
		if (ret == -EINVAL)
			tulpen_ctx_seterr(ctx, "%s: %s", r->path,
					  why[0] ? why : err);
		free(r->path);
		free(r);
		free(why);
		return ret;
	}
	r->ctx = ctx;
	r->warn = warn;
	r->warn_priv = warn_priv;
	r->why = why;
	r->nano = 1;
	r->dlt = -1; /* the first packet's */
	*out = r;
	return 0;
}

int tulpen_pcap_open_fp(struct tulpen_ctx *ctx, FILE *fp, const char *name,
			tulpen_pcap_warn_fn warn, void *warn_priv,
			struct tulpen_pcap_reader **out)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	char *why = calloc(1, WHY_SIZE);
	FILE *in;
	pcap_t *p;
	int kind, ret;

	if (!why) {
		fclose(fp);
		return -ENOMEM;
	}
	/* gzip, zstd: decompressed on the way; which format is inside */
	ret = pcap_input_open(fp, &in, &kind, why, WHY_SIZE);
	if (ret == -EINVAL) {
		tulpen_ctx_seterr(ctx, "%s: %s", name, why);
		free(why);
		return ret;
	}
	if (ret) {
		free(why);
		return ret;
	}
	if (kind == PCAP_INPUT_PCAPNG)
		return open_pcapng(ctx, in, name, why, warn, warn_priv, out);
	p = pcap_fopen_offline_with_tstamp_precision(
		in, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p)
		fclose(in);
	ret = reader_init(ctx, name, p, errbuf, warn, warn_priv, out);
	if (ret) {
		free(why);
		return ret;
	}
	(*out)->why = why;
	(*out)->classic = kind == PCAP_INPUT_PCAP;
	if ((*out)->classic)
		(*out)->cl = pcap_classic_open(p);
	return 0;
}

/*
 * A record's time in ns since the epoch. A broken or hostile file may
 * claim any seconds: those beyond what 64-bit nanoseconds hold (year 2262)
 * are clamped.
 */
static int64_t ts_ns(const struct pcap_pkthdr *h, int nano, int classic,
		     uint64_t *clamped)
{
	const int64_t max_s = INT64_MAX / 1000000000 - 1;
	int64_t sec = (int64_t)h->ts.tv_sec, frac = (int64_t)h->ts.tv_usec;

	/* libpcap reads classic seconds as signed: past 2038 negative */
	if (classic)
		sec = (int64_t)(uint32_t)h->ts.tv_sec;
	if (sec > max_s || sec < -max_s) {
		sec = sec > max_s ? max_s : -max_s;
		(*clamped)++;
	}
	if (frac < 0 || frac > 999999999)
		frac = 0;
	return sec * 1000000000 + frac * (nano ? 1 : 1000);
}

/* Count a skipped frame under its reason (the last slot takes the rest). */
static void count_skip(struct tulpen_pcap_reader *r, const char *why)
{
	int i;

	for (i = 0; i < TULPEN_PCAP_SKIP_KINDS - 1; i++) {
		if (!r->skip[i].why)
			r->skip[i].why = why;
		if (r->skip[i].why == why || !strcmp(r->skip[i].why, why))
			break;
	}
	if (i == TULPEN_PCAP_SKIP_KINDS - 1 && !r->skip[i].why)
		r->skip[i].why = "other frames not decoded";
	r->skip[i].count++;
}

size_t tulpen_pcap_skips(const struct tulpen_pcap_reader *r,
			 struct tulpen_pcap_skip *out, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < TULPEN_PCAP_SKIP_KINDS && k < n; i++)
		if (r->skip[i].count)
			out[k++] = r->skip[i];
	return k;
}

const char *tulpen_pcap_path(const struct tulpen_pcap_reader *r)
{
	return r->path;
}

/* One frame from the pcapng reader or libpcap: 1, 0 at the end, -EIO. */
static int next_frame(struct tulpen_pcap_reader *r, struct frame *fr)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	char err[200];
	int ret;

	if (r->ng) {
		struct pcapng_pkt np;

		ret = pcapng_next(r->ng, &np, err, sizeof(err));
		if (ret == 1) {
			fr->dlt = np.dlt;
			fr->data = np.data;
			fr->caplen = np.caplen;
			fr->len = np.len;
			fr->ts_ns = np.ts_ns;
			r->st.clamped += (uint64_t)np.clamped;
			if (r->dlt < 0)
				r->dlt = np.dlt; /* the one named in notes */
			return 1;
		}
		if (ret == 0)
			return 0;
		tulpen_ctx_seterr(r->ctx, "%s: packet %llu: %s", r->path,
				  (unsigned long long)r->num + 1,
				  r->why && r->why[0] ? r->why
				  : ret == -ENOMEM    ? strerror(ENOMEM)
						      : err);
		return ret == -ENOMEM ? -ENOMEM : -EIO;
	}
	if (r->cl) {
		struct pcap_pkthdr ch;

		ret = pcap_classic_next(r->cl, &ch, &fr->data);
		if (ret >= 0) {
			fr->dlt = r->dlt;
			fr->caplen = ch.caplen;
			fr->len = ch.len;
			fr->ts_ns = ts_ns(&ch, 1, r->classic, &r->st.clamped);
			return ret;
		}
		pcap_classic_close(r->cl);
		r->cl = NULL;
		if (ret == -2) {
			tulpen_ctx_seterr(r->ctx, "%s: packet %llu: %s",
					  r->path,
					  (unsigned long long)r->num + 1,
					  strerror(errno));
			return -EIO;
		}
	}
	ret = pcap_next_ex(r->pcap, &h, &data);
	if (ret == PCAP_ERROR_BREAK)
		return 0;
	if (ret != 1) {
		tulpen_ctx_seterr(r->ctx, "%s: packet %llu: %s", r->path,
				  (unsigned long long)r->num + 1,
				  r->why && r->why[0] ? r->why
						      : pcap_geterr(r->pcap));
		return -EIO;
	}
	fr->dlt = r->dlt;
	fr->data = data;
	fr->caplen = h->caplen;
	fr->len = h->len;
	fr->ts_ns = ts_ns(h, r->nano, r->classic, &r->st.clamped);
	return 1;
}

int tulpen_pcap_next(struct tulpen_pcap_reader *r, struct tulpen_pkt *pkt)
{
	struct frame fr;
	const char *why;
	int ret;

	for (;;) {
		ret = next_frame(r, &fr);
		if (ret != 1)
			return ret;
		r->num++;
		r->st.frames++;
		switch (tulpen_pcap_decode(fr.dlt, fr.data, fr.caplen, fr.len,
					   pkt, &why)) {
		case TULPEN_DECODE_TCP:
			pkt->num = r->num;
			pkt->ts_ns = fr.ts_ns;
			r->st.tcp++;
			r->st.truncated += !!pkt->truncated;
			return 1;
		case TULPEN_DECODE_OTHER:
			r->st.other++;
			break;
		case TULPEN_DECODE_SKIPPED:
			r->st.skipped++;
			count_skip(r, why);
			break;
		case TULPEN_DECODE_BAD:
			r->st.bad++;
			if (r->warn)
				r->warn(r->warn_priv, r->path, r->num, why);
			break;
		}
	}
}

void tulpen_pcap_stats(const struct tulpen_pcap_reader *r,
		       struct tulpen_pcap_stats *st)
{
	*st = r->st;
}

int tulpen_pcap_linktype(const struct tulpen_pcap_reader *r)
{
	return r->dlt;
}

const char *tulpen_pcap_linktype_name(const struct tulpen_pcap_reader *r)
{
	const char *n = pcap_datalink_val_to_name(r->dlt);

	return n ? n : "unknown";
}

void tulpen_pcap_close(struct tulpen_pcap_reader *r)
{
	if (!r)
		return;
	pcap_classic_close(r->cl);
	if (r->pcap)
		pcap_close(r->pcap);
	pcapng_close(r->ng);
	free(r->why);
	free(r->path);
	free(r);
}
