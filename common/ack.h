/*
 * ack.h - known leaks: acknowledgements (`leakwatch ack`, kept in the history's
 * acks table) and the configuration's `ignore:` lists, and which leak or holder
 * they cover.
 *
 * An entry names a leak by its LUID, by its user (DOMAIN\user, compared ASCII
 * case-insensitively) or by a holder image (a file name such as agent.exe,
 * compared case-insensitively with the file name part of the holder's path).
 * An acknowledgement has a reason and may expire; an ignore entry (from the
 * configuration) never expires. A covered leak is still detected and recorded;
 * only its Event Log alerts (2001, 2007) are withheld (detect.h, monitor.c).
 * A leak is covered by image entries when every holder it is known to have is
 * (one holder image for a 2007). Pure data and functions: no I/O, no clock.
 */
#ifndef LW_ACK_H
#define LW_ACK_H

#include <stddef.h>
#include <stdint.h>

enum lw_ack_kind { LW_ACK_LUID = 1, LW_ACK_USER = 2, LW_ACK_IMAGE = 3 };

/* What withheld an alert (struct lw_alert's acknowledged). */
enum lw_ack_by { LW_ACK_BY_NONE = 0, LW_ACK_BY_ACK = 1, LW_ACK_BY_CONFIG = 2 };

/* The longest target and reason, in bytes. */
#define LW_ACK_TARGET_MAX 512
#define LW_ACK_REASON_MAX 1024

/* One entry. Strings are UTF-8, heap copies owned by the set they are in. */
struct lw_ack {
  int64_t id;    /* acks.id; 0 for an entry of the configuration's ignore: */
  int kind;      /* enum lw_ack_kind */
  uint64_t luid; /* LW_ACK_LUID */
  char *target;  /* normalised: "00000000:002a03e6", "CONTOSO\alice", "agent.exe" */
  char *reason;  /* "" for an ignore entry */
  char *created_by;
  int64_t created_at; /* LW_TIME_UNKNOWN for an ignore entry */
  int64_t expires_at; /* LW_TIME_UNKNOWN: until removed */
};

struct lw_ack_set {
  struct lw_ack *v;
  size_t n, cap;
};

/* "luid", "user", "image"; and back (0 for an unknown name). */
const char *lw_ack_kind_name(int kind);
int lw_ack_kind_from_name(const char *name);

/*
 * Checks and normalises a target of `kind`: a LUID as luid.h parses it (written
 * back as "HHHHHHHH:LLLLLLLL", *luid set; a well-known LUID is refused: it never
 * leaks), DOMAIN\user (both parts non-empty, no second backslash), or a file
 * name (no \ / : characters, not "." or ".."). Returns 0 with `norm`
 * (NUL-terminated, normsize bytes); LW_ESYNTAX, LW_ERANGE (too long) or LW_EINVAL
 * with a sentence naming the value in err.
 */
int lw_ack_parse_target(int kind, const char *text, uint64_t *luid, char *norm, size_t normsize,
                        char *err, size_t errlen);

/* Empties *s (owning nothing). */
void lw_ack_set_init(struct lw_ack_set *s);
/* Frees what *s owns and empties it. NULL is fine. */
void lw_ack_set_free(struct lw_ack_set *s);
/* Appends a copy of *a. Returns 0 or LW_ENOMEM (*s unchanged). */
int lw_ack_set_add(struct lw_ack_set *s, const struct lw_ack *a);
/* Appends an ignore entry (id 0, no expiry) of `kind` for each name of a
 * list of names one a line (the configuration's ignore.users / ignore.images;
 * NULL or "" adds none). Returns 0 or LW_ENOMEM (entries added so far stay). */
int lw_ack_set_add_names(struct lw_ack_set *s, int kind, const char *list);
/* The entry with this id (> 0), or NULL. */
const struct lw_ack *lw_ack_set_find(const struct lw_ack_set *s, int64_t id);

/* 1 while the entry is in force at `now` (ignore entries always are). */
int lw_ack_active(const struct lw_ack *a, int64_t now);

/* 1 if the entry names this user (DOMAIN\user, case-insensitive). */
int lw_ack_names_user(const struct lw_ack *a, const char *domain, const char *user);

/*
 * The entry in force at `now` that covers a leak: its LUID, its user, or, when
 * n_images > 0, each of its holder images (paths or file names; NULL ones are
 * skipped) covered by some image entry. Acknowledgements are preferred to
 * ignore entries, then the lowest id. NULL when none covers it. domain, user
 * and images may be NULL.
 */
const struct lw_ack *lw_ack_match(const struct lw_ack_set *s, int64_t now, uint64_t luid,
                                  const char *domain, const char *user, const char *const *images,
                                  size_t n_images);

#endif /* LW_ACK_H */
