/* ack.c - acknowledgements and ignore entries, and what they cover (see ack.h). */
#include "ack.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "holders.h"
#include "luid.h"
#include "timefmt.h"

static const char *const k_kind_names[] = {NULL, "luid", "user", "image"};

const char *lw_ack_kind_name(int kind) {
  return kind >= LW_ACK_LUID && kind <= LW_ACK_IMAGE ? k_kind_names[kind] : "?";
}

int lw_ack_kind_from_name(const char *name) {
  for (int k = LW_ACK_LUID; name != NULL && k <= LW_ACK_IMAGE; k++)
    if (strcmp(name, k_kind_names[k]) == 0)
      return k;
  return 0;
}

static unsigned char fold(unsigned char c) {
  return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static int same_ci(const char *a, const char *b) {
  for (; *a != 0 && *b != 0; a++, b++)
    if (fold((unsigned char)*a) != fold((unsigned char)*b))
      return 0;
  return *a == *b;
}

int lw_ack_parse_target(int kind, const char *text, uint64_t *luid, char *norm, size_t normsize,
                        char *err, size_t errlen) {
  size_t len;
  if (text == NULL || norm == NULL || normsize == 0) {
    lw_seterr(err, errlen, "no target given");
    return LW_EINVAL;
  }
  len = strlen(text);
  if (len == 0) {
    lw_seterr(err, errlen, "an empty %s", lw_ack_kind_name(kind));
    return LW_ESYNTAX;
  }
  if (len >= LW_ACK_TARGET_MAX || len >= normsize) {
    lw_seterr(err, errlen, "'%.40s...' is too long (at most %d bytes)", text,
              LW_ACK_TARGET_MAX - 1);
    return LW_ERANGE;
  }
  for (size_t i = 0; i < len; i++) {
    if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f) {
      /* Not echoed: the message goes to a terminal or the Event Log. */
      lw_seterr(err, errlen, "the %s holds a control character (0x%02x at byte %lu)",
                lw_ack_kind_name(kind), (unsigned)(unsigned char)text[i], (unsigned long)(i + 1));
      return LW_ESYNTAX;
    }
  }
  if (kind == LW_ACK_LUID) {
    uint64_t v = 0;
    if (lw_luid_parse(text, &v) != 0) {
      lw_seterr(err, errlen, "'%s' is not a LUID (expected HHHHHHHH:LLLLLLLL, as leaks shows it)",
                text);
      return LW_ESYNTAX;
    }
    if (lw_luid_is_well_known(v)) {
      lw_seterr(err, errlen, "'%s' is a built-in logon session, which never leaks", text);
      return LW_EINVAL;
    }
    if (normsize < LW_LUID_TEXT_SIZE) {
      lw_seterr(err, errlen, "no room for the LUID");
      return LW_ERANGE;
    }
    if (luid != NULL)
      *luid = v;
    lw_luid_format(v, norm);
    return 0;
  }
  if (kind == LW_ACK_USER) {
    const char *bs = strchr(text, '\\');
    if (bs == NULL || bs == text || bs[1] == 0 || strchr(bs + 1, '\\') != NULL) {
      lw_seterr(err, errlen, "'%s' is not DOMAIN\\user (one backslash between two names)", text);
      return LW_ESYNTAX;
    }
  } else if (kind == LW_ACK_IMAGE) {
    if (strpbrk(text, "\\/:") != NULL || strcmp(text, ".") == 0 || strcmp(text, "..") == 0) {
      lw_seterr(err, errlen, "'%s' is not a file name (expected an image name such as agent.exe)",
                text);
      return LW_ESYNTAX;
    }
  } else {
    lw_seterr(err, errlen, "unknown kind of target");
    return LW_EINVAL;
  }
  memcpy(norm, text, len + 1);
  return 0;
}

void lw_ack_set_init(struct lw_ack_set *s) {
  memset(s, 0, sizeof *s);
}

static void ack_free(struct lw_ack *a) {
  free(a->target);
  free(a->reason);
  free(a->created_by);
}

void lw_ack_set_free(struct lw_ack_set *s) {
  if (s == NULL)
    return;
  for (size_t i = 0; i < s->n; i++)
    ack_free(&s->v[i]);
  free(s->v);
  lw_ack_set_init(s);
}

int lw_ack_set_add(struct lw_ack_set *s, const struct lw_ack *a) {
  struct lw_ack c = *a;
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 8;
    struct lw_ack *v = realloc(s->v, cap * sizeof *v);
    if (v == NULL)
      return LW_ENOMEM;
    s->v = v;
    s->cap = cap;
  }
  c.target = lw_strdup(a->target != NULL ? a->target : "");
  c.reason = lw_strdup(a->reason != NULL ? a->reason : "");
  c.created_by = lw_strdup(a->created_by != NULL ? a->created_by : "");
  if (c.target == NULL || c.reason == NULL || c.created_by == NULL) {
    ack_free(&c);
    return LW_ENOMEM;
  }
  s->v[s->n++] = c;
  return 0;
}

int lw_ack_set_add_names(struct lw_ack_set *s, int kind, const char *list) {
  char name[LW_ACK_TARGET_MAX];
  while (list != NULL && *list != 0) {
    const char *end = strchr(list, '\n');
    size_t n = end != NULL ? (size_t)(end - list) : strlen(list);
    if (n > 0 && n < sizeof name) {
      struct lw_ack a;
      memset(&a, 0, sizeof a);
      memcpy(name, list, n);
      name[n] = 0;
      a.kind = kind;
      a.target = name;
      a.created_at = LW_TIME_UNKNOWN;
      a.expires_at = LW_TIME_UNKNOWN;
      if (kind == LW_ACK_LUID)
        (void)lw_luid_parse(name, &a.luid);
      if (lw_ack_set_add(s, &a) != 0)
        return LW_ENOMEM;
    }
    list = end != NULL ? end + 1 : NULL;
  }
  return 0;
}

const struct lw_ack *lw_ack_set_find(const struct lw_ack_set *s, int64_t id) {
  for (size_t i = 0; s != NULL && id > 0 && i < s->n; i++)
    if (s->v[i].id == id)
      return &s->v[i];
  return NULL;
}

int lw_ack_active(const struct lw_ack *a, int64_t now) {
  return a->expires_at == LW_TIME_UNKNOWN || now < a->expires_at;
}

int lw_ack_names_user(const struct lw_ack *a, const char *domain, const char *user) {
  const char *bs;
  size_t dl;
  if (a->kind != LW_ACK_USER || domain == NULL || user == NULL || a->target == NULL)
    return 0;
  bs = strchr(a->target, '\\');
  if (bs == NULL)
    return 0;
  dl = (size_t)(bs - a->target);
  if (strlen(domain) != dl)
    return 0;
  for (size_t i = 0; i < dl; i++)
    if (fold((unsigned char)domain[i]) != fold((unsigned char)a->target[i]))
      return 0;
  return same_ci(bs + 1, user);
}

/* 1 if an entry of *s in force at `now` names this image (of the given
 * source: 0 either, else only ids > 0 or == 0). */
static const struct lw_ack *image_entry(const struct lw_ack_set *s, int64_t now, const char *image,
                                        int acks) {
  const char *base = lw_holders_basename(image);
  for (size_t i = 0; i < s->n; i++) {
    const struct lw_ack *a = &s->v[i];
    if (a->kind == LW_ACK_IMAGE && (a->id > 0) == acks && lw_ack_active(a, now) &&
        same_ci(a->target, base))
      return a;
  }
  return NULL;
}

/* The match among acknowledgements (acks 1) or ignore entries (acks 0). */
static const struct lw_ack *match_from(const struct lw_ack_set *s, int64_t now, uint64_t luid,
                                       const char *domain, const char *user,
                                       const char *const *images, size_t n_images, int acks) {
  const struct lw_ack *first_image = NULL;
  size_t known = 0, covered = 0;
  for (size_t i = 0; i < s->n; i++) {
    const struct lw_ack *a = &s->v[i];
    if ((a->id > 0) != acks || !lw_ack_active(a, now))
      continue;
    if ((a->kind == LW_ACK_LUID && luid != 0 && a->luid == luid) ||
        lw_ack_names_user(a, domain, user))
      return a;
  }
  for (size_t k = 0; images != NULL && k < n_images; k++) {
    const struct lw_ack *a;
    if (images[k] == NULL)
      continue;
    known++;
    a = image_entry(s, now, images[k], acks);
    if (a == NULL && acks)
      a = image_entry(s, now, images[k], 0); /* an ack and the config may share the work */
    if (a != NULL) {
      covered++;
      if (first_image == NULL || (a->id > 0 && first_image->id == 0))
        first_image = a;
    }
  }
  if (known > 0 && covered == known && (first_image->id > 0) == acks)
    return first_image;
  return NULL;
}

const struct lw_ack *lw_ack_match(const struct lw_ack_set *s, int64_t now, uint64_t luid,
                                  const char *domain, const char *user, const char *const *images,
                                  size_t n_images) {
  const struct lw_ack *a;
  if (s == NULL || s->n == 0)
    return NULL;
  a = match_from(s, now, luid, domain, user, images, n_images, 1);
  if (a == NULL)
    a = match_from(s, now, luid, domain, user, images, n_images, 0);
  return a;
}
