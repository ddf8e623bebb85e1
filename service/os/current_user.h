/*
 * current_user.h - who runs this process, as DOMAIN\user, for the record an
 * operator's action leaves (`leakwatch ack` keeps it with the acknowledgement).
 */
#ifndef LW_CURRENT_USER_H
#define LW_CURRENT_USER_H

/* "DOMAIN\user" (UTF-8, malloc'd; free it), or NULL when Windows cannot say. */
char *lw_current_user(void);

#endif /* LW_CURRENT_USER_H */
