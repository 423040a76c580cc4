/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extract.c: --extract DIR (extract.h). */
/* renameat2 and RENAME_NOREPLACE. */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>

#include "extract.h"
#include "jsonw.h"
#include "mime.h"

#define EXTRACT_BUF (8 * 1024)

struct extract_file {
	int dirfd;
	int fd;
	char *name;
	uint64_t bytes, max;
	bool over, failed;
	GChecksum *sha256;
	size_t len;
	char buf[EXTRACT_BUF];
};

/* Files this process has open, and the temporary names it made. */
static unsigned extract_open;
static uint64_t extract_seq;

struct extract_file *
extract_file_new(const struct extract_opts *o)
{
	struct extract_file *f;
	char *name;
	int fd;

	if (o == NULL || o->dirfd < 0 || extract_open >= EXTRACT_OPEN_MAX)
		return NULL;
	name = g_strdup_printf(".rs-%lu-%ld-%" G_GUINT64_FORMAT ".tmp", o->run,
	    (long)getpid(), ++extract_seq);
	fd = openat(o->dirfd, name,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0) {
		g_free(name);
		return NULL;
	}
	extract_open++;
	f = g_new(struct extract_file, 1);
	f->dirfd = o->dirfd;
	f->fd = fd;
	f->name = name;
	f->bytes = 0;
	f->max = o->max;
	f->over = f->failed = false;
	f->sha256 = g_checksum_new(G_CHECKSUM_SHA256);
	f->len = 0;
	return f;
}

static void
file_flush(struct extract_file *f)
{
	size_t done = 0;

	while (done < f->len && !f->failed) {
		ssize_t w = write(f->fd, f->buf + done, f->len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			f->failed = true;
		else
			done += (size_t)w;
	}
	f->len = 0;
}

void
extract_file_write(struct extract_file *f, const char *p, size_t n)
{
	if (f == NULL || f->over || f->failed)
		return;
	if (f->max > 0 && f->bytes + n > f->max) {
		f->over = true; /* it can never be kept: stop here */
		return;
	}
	f->bytes += n;
	g_checksum_update(f->sha256, (const guchar *)p, (gssize)n);
	while (n > 0) {
		size_t k = MIN(n, EXTRACT_BUF - f->len);

		memcpy(f->buf + f->len, p, k);
		f->len += k;
		p += k;
		n -= k;
		if (f->len == EXTRACT_BUF)
			file_flush(f);
	}
}

static void
file_free(struct extract_file *f)
{
	if (f->fd >= 0)
		(void)close(f->fd);
	extract_open--;
	g_checksum_free(f->sha256);
	g_free(f->name);
	g_free(f);
}

void
extract_file_abort(struct extract_file *f)
{
	if (f == NULL)
		return;
	(void)unlinkat(f->dirfd, f->name, 0);
	file_free(f);
}

char *
extract_file_close(
    struct extract_file *f, uint64_t *bytes, char sha256[65], unsigned *note)
{
	char *name;

	file_flush(f);
	if (close(f->fd) != 0)
		f->failed = true;
	f->fd = -1;
	*bytes = f->bytes;
	if (f->over || f->failed) {
		*note = f->over ? EXTRACT_NOTE_OVER : EXTRACT_NOTE_FAILED;
		(void)unlinkat(f->dirfd, f->name, 0);
		file_free(f);
		return NULL;
	}
	g_strlcpy(sha256, g_checksum_get_string(f->sha256), 65);
	name = g_steal_pointer(&f->name);
	file_free(f);
	return name;
}

static void
unlink_tmp(int dirfd, char **name)
{
	if (*name != NULL && dirfd >= 0)
		(void)unlinkat(dirfd, *name, 0);
	g_clear_pointer(name, g_free);
}

void
extract_discard(const struct extract_opts *o, struct dialogue *d)
{
	guint i, j;

	for (i = 0; i < d->txs->len; i++) {
		struct dlg_tx *tx = g_ptr_array_index(d->txs, i);
		struct dlg_data *dd = tx->data;

		if (dd == NULL)
			continue;
		unlink_tmp(o != NULL ? o->dirfd : -1, &dd->extract);
		if (dd->mime == NULL)
			continue;
		for (j = 0; j < dd->mime->parts->len; j++) {
			struct mime_part *p =
			    g_ptr_array_index(dd->mime->parts, j);

			unlink_tmp(o != NULL ? o->dirfd : -1, &p->extract);
		}
	}
}

/* ---- the report's side ---- */

struct extractor {
	struct extract_opts o;
	char *dir;
	int index; /* index.jsonl */
	bool index_failed;
	int index_errno;
	struct extract_totals t;
	GString *line;
};

const struct extract_opts *
extractor_opts(const struct extractor *x)
{
	return &x->o;
}

static gboolean
fail(GError **error, const char *dir, const char *what)
{
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", dir, what);
	return FALSE;
}

static char *
user_name(uid_t uid)
{
	const struct passwd *pw = getpwuid(uid);

	return pw != NULL ? g_strdup(pw->pw_name)
			  : g_strdup_printf("uid %u", (unsigned)uid);
}

/* DIR fit to write into as uid/gid; its descriptor, or -1. */
static int
dir_ready(const char *dir, uid_t uid, gid_t gid, GError **error)
{
	struct stat st, fst;
	int fd;

	if (lstat(dir, &st) != 0) {
		if (errno != ENOENT) {
			fail(error, dir, g_strerror(errno));
			return -1;
		}
		if (mkdir(dir, 0750) != 0) {
			char *m = g_strdup_printf(
			    "cannot make the directory: %s", g_strerror(errno));

			fail(error, dir, m);
			g_free(m);
			return -1;
		}
		if (lstat(dir, &st) != 0 ||
		    (st.st_uid != uid && lchown(dir, uid, gid) != 0)) {
			fail(error, dir, g_strerror(errno));
			return -1;
		}
		st.st_uid = uid;
	}
	if (S_ISLNK(st.st_mode)) {
		fail(error, dir,
		    "is a symbolic link: give the directory itself");
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		fail(error, dir, "not a directory");
		return -1;
	}
	if (st.st_uid != uid) {
		char *owner = user_name(st.st_uid), *us = user_name(uid);
		char *m = g_strdup_printf(
		    "owned by %s, but the files are written as %s (give a "
		    "directory of theirs, or one that does not exist yet)",
		    owner, us);

		fail(error, dir, m);
		g_free(m);
		g_free(owner);
		g_free(us);
		return -1;
	}
	if (st.st_mode & S_IWOTH) {
		fail(error, dir,
		    "writable by everybody: give a private directory");
		return -1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		fail(error, dir, g_strerror(errno));
		return -1;
	}
	if (fstat(fd, &fst) != 0 || fst.st_dev != st.st_dev ||
	    fst.st_ino != st.st_ino) {
		(void)close(fd);
		fail(error, dir, "changed while it was opened");
		return -1;
	}
	return fd;
}

struct extractor *
extractor_new(
    const char *dir, uint64_t max, uid_t uid, gid_t gid, GError **error)
{
	struct extractor *x;
	struct stat st;
	int fd = dir_ready(dir, uid, gid, error), ix;

	if (fd < 0)
		return NULL;
	ix = openat(fd, "index.jsonl",
	    O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (ix < 0 || fstat(ix, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_uid != uid && fchown(ix, uid, gid) != 0)) {
		char *m = g_strdup_printf("index.jsonl: %s",
		    ix < 0 ? g_strerror(errno) : "not a regular file of ours");

		fail(error, dir, m);
		g_free(m);
		if (ix >= 0)
			(void)close(ix);
		(void)close(fd);
		return NULL;
	}
	x = g_new0(struct extractor, 1);
	x->o.dirfd = fd;
	x->o.run = (unsigned long)getpid();
	x->o.max = max;
	x->dir = g_strdup(dir);
	x->index = ix;
	x->line = g_string_sized_new(512);
	return x;
}

static void
index_write(struct extractor *x)
{
	size_t done = 0;

	g_string_append_c(x->line, '\n');
	while (done < x->line->len && !x->index_failed) {
		ssize_t w =
		    write(x->index, x->line->str + done, x->line->len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			x->index_failed = true;
			x->index_errno = w < 0 ? errno : ENOSPC;
		} else
			done += (size_t)w;
	}
	g_string_truncate(x->line, 0);
}

static const char *
note_text(unsigned note)
{
	switch (note) {
	case EXTRACT_NOTE_OVER:
		return "not extracted: larger than --extract-max";
	case EXTRACT_NOTE_FAILED:
		return "not extracted: the file could not be written";
	case EXTRACT_NOTE_BUSY:
		return "not extracted: too many messages open at once";
	case EXTRACT_NOTE_UNSEEN:
		return "not extracted: its start was not captured";
	case EXTRACT_NOTE_GAP:
		return "not extracted: bytes of it were not captured";
	default:
		return "not extracted";
	}
}

/* Keep the file tmp (bytes long) as name, if --extract-max allows; the
 * outcome in words (static). */
static const char *
keep(struct extractor *x, char **tmp, const char *name, uint64_t bytes,
    bool *kept)
{
	*kept = false;
	if (x->o.max > 0 && x->t.bytes + bytes > x->o.max) {
		unlink_tmp(x->o.dirfd, tmp);
		x->t.skipped++;
		return "not extracted: --extract-max reached";
	}
	if (renameat2(x->o.dirfd, *tmp, x->o.dirfd, name, RENAME_NOREPLACE) ==
	    0) {
		g_clear_pointer(tmp, g_free);
		x->t.bytes += bytes;
		*kept = true;
		return "written";
	}
	if (errno == EEXIST) {
		unlink_tmp(x->o.dirfd, tmp);
		return "exists";
	}
	unlink_tmp(x->o.dirfd, tmp);
	x->t.failed++;
	return "not extracted: the file could not be written";
}

static void
gaps_write(struct extractor *x, const char *name, const GArray *gaps)
{
	GString *s = g_string_new(NULL);
	struct jsonw w;
	guint i;
	int fd;

	jw_init(&w, s);
	jw_object(&w, NULL);
	jw_str(&w, "message", name);
	jw_array(&w, "gaps");
	for (i = 0; i < gaps->len; i++) {
		const struct mime_gap *g =
		    &g_array_index(gaps, struct mime_gap, i);

		jw_object(&w, NULL);
		jw_int(&w, "offset", (int64_t)g->offset);
		jw_int(&w, "bytes", (int64_t)g->bytes);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_end_object(&w);
	g_string_append_c(s, '\n');
	{
		char *side = g_strdup_printf(
		    "%.*s.gaps.json", (int)(strlen(name) - 4), name);

		fd = openat(x->o.dirfd, side,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
		if (fd >= 0) {
			if (write(fd, s->str, s->len) != (ssize_t)s->len)
				x->t.failed++;
			(void)close(fd);
		}
		g_free(side);
	}
	g_string_free(s, TRUE);
}

static void
commit_message(
    struct extractor *x, struct dialogue *d, guint t, struct dlg_data *dd)
{
	char *name = g_strdup_printf("%s-%u.eml", d->id, t);
	const GArray *gaps = dd->mime != NULL ? dd->mime->gaps : NULL;
	struct jsonw w;
	bool kept = false;

	if (dd->extract != NULL)
		dd->extract_status =
		    keep(x, &dd->extract, name, dd->extract_bytes, &kept);
	else
		dd->extract_status =
		    note_text(dd->extract_note != 0 ? dd->extract_note
						    : EXTRACT_NOTE_UNSEEN);
	if (kept) {
		x->t.messages++;
		if (gaps != NULL && gaps->len > 0)
			gaps_write(x, name, gaps);
	}
	if (kept || strcmp(dd->extract_status, "exists") == 0)
		dd->extract = g_steal_pointer(&name);
	jw_init(&w, x->line);
	jw_object(&w, NULL);
	jw_str(&w, "session", d->id);
	jw_int(&w, "transaction", t);
	jw_str(&w, "kind", "message");
	jw_str(&w, "file", dd->extract);
	jw_str(&w, "status", dd->extract_status);
	jw_int(&w, "bytes", (int64_t)dd->extract_bytes);
	jw_str(&w, "sha256", dd->extract != NULL ? dd->extract_sha256 : NULL);
	jw_bool(&w, "complete",
	    dd->complete && dd->bytes_lost == 0 && dd->item != NULL);
	jw_int(&w, "gaps", gaps != NULL ? gaps->len : 0);
	jw_str(&w, "message_id", dd->message_id);
	jw_end_object(&w);
	index_write(x);
	g_free(name);
}

static void
commit_part(
    struct extractor *x, struct dialogue *d, guint t, struct mime_part *p)
{
	struct jsonw w;
	bool kept = false;

	if (p->extract != NULL && p->sha256[0] != '\0')
		p->extract_status =
		    keep(x, &p->extract, p->sha256, p->size, &kept);
	else {
		unlink_tmp(x->o.dirfd, &p->extract);
		p->extract_status = note_text(
		    p->extract_note != 0 ? p->extract_note : EXTRACT_NOTE_GAP);
	}
	if (kept)
		x->t.attachments++;
	if (kept || strcmp(p->extract_status, "exists") == 0)
		p->extract = g_strdup(p->sha256);
	jw_init(&w, x->line);
	jw_object(&w, NULL);
	jw_str(&w, "session", d->id);
	jw_int(&w, "transaction", t);
	jw_str(&w, "kind", "attachment");
	jw_int(&w, "part", p->index);
	jw_str(&w, "file", p->extract);
	jw_str(&w, "status", p->extract_status);
	jw_int(&w, "bytes", (int64_t)p->size);
	jw_str(&w, "filename", p->filename);
	jw_str(&w, "content_type", p->type);
	jw_str(&w, "md5", p->md5[0] != '\0' ? p->md5 : NULL);
	jw_str(&w, "sha1", p->sha1[0] != '\0' ? p->sha1 : NULL);
	jw_str(&w, "sha256", p->sha256[0] != '\0' ? p->sha256 : NULL);
	jw_end_object(&w);
	index_write(x);
}

void
extractor_commit(struct extractor *x, struct dialogue *d)
{
	guint i, j;

	for (i = 0; i < d->txs->len; i++) {
		struct dlg_tx *tx = g_ptr_array_index(d->txs, i);
		struct dlg_data *dd = tx->data;

		if (dd == NULL)
			continue;
		commit_message(x, d, i + 1, dd);
		if (dd->mime == NULL)
			continue;
		for (j = 0; j < dd->mime->parts->len; j++) {
			struct mime_part *p =
			    g_ptr_array_index(dd->mime->parts, j);

			if ((p->flags &
				(MIME_PART_LEAF | MIME_PART_ATTACHMENT)) ==
			    (MIME_PART_LEAF | MIME_PART_ATTACHMENT))
				commit_part(x, d, i + 1, p);
		}
	}
}

void
extractor_totals(const struct extractor *x, struct extract_totals *t)
{
	*t = x->t;
}

/* What this run's processes left of their own files (sessions that
 * never reached the report). */
static void
sweep(const struct extractor *x)
{
	char *prefix = g_strdup_printf(".rs-%lu-", x->o.run);
	int fd = dup(x->o.dirfd);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	const struct dirent *e;

	if (dir == NULL) {
		if (fd >= 0)
			(void)close(fd);
		g_free(prefix);
		return;
	}
	rewinddir(dir);
	while ((e = readdir(dir)) != NULL)
		if (g_str_has_prefix(e->d_name, prefix) &&
		    g_str_has_suffix(e->d_name, ".tmp"))
			(void)unlinkat(x->o.dirfd, e->d_name, 0);
	closedir(dir);
	g_free(prefix);
}

gboolean
extractor_free(struct extractor *x, GError **error)
{
	gboolean ok = TRUE;

	if (x == NULL)
		return TRUE;
	sweep(x);
	if (close(x->index) != 0 && !x->index_failed) {
		x->index_failed = true;
		x->index_errno = errno;
	}
	if (x->index_failed) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
		    "%s/index.jsonl: %s", x->dir, g_strerror(x->index_errno));
		ok = FALSE;
	}
	(void)close(x->o.dirfd);
	g_string_free(x->line, TRUE);
	g_free(x->dir);
	g_free(x);
	return ok;
}
