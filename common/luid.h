/*
 * luid.h - LUIDs as numbers and as text.
 *
 * A Windows LUID is {DWORD LowPart; LONG HighPart}; LeakWatch keeps it as one
 * uint64_t, (HighPart << 32) | LowPart. Its text form is the one Sysinternals'
 * logonsessions prints: `HHHHHHHH:LLLLLLLL`, lowercase hex, both halves zero
 * padded to 8 digits (e.g. SYSTEM is "00000000:000003e7"). LUIDs are unique only
 * within one boot of one host.
 */
#ifndef LW_LUID_H
#define LW_LUID_H

#include <stdint.h>

/* "HHHHHHHH:LLLLLLLL" plus its NUL. */
#define LW_LUID_TEXT_SIZE 18

/* The fixed LUIDs of the built-in logon sessions (ntifs.h / winnt.h). */
#define LW_LUID_IUSR 0x3e3            /* IUSR_LUID */
#define LW_LUID_NETWORK_SERVICE 0x3e4 /* NETWORKSERVICE_LUID */
#define LW_LUID_LOCAL_SERVICE 0x3e5   /* LOCALSERVICE_LUID */
#define LW_LUID_ANONYMOUS 0x3e6       /* ANONYMOUS_LOGON_LUID */
#define LW_LUID_SYSTEM 0x3e7          /* SYSTEM_LUID */

/* Builds the 64-bit form from a LUID's halves. HighPart is a signed LONG in the
 * SDK; it is taken as its 32 bits, never sign-extended. */
static inline uint64_t lw_luid_from_parts(int32_t high_part, uint32_t low_part) {
  return ((uint64_t)(uint32_t)high_part << 32) | low_part;
}

/* Writes `luid` as "HHHHHHHH:LLLLLLLL" (lowercase, NUL-terminated) into buf and
 * returns buf. Cannot fail. */
char *lw_luid_format(uint64_t luid, char buf[LW_LUID_TEXT_SIZE]);

/* Parses a LUID written as
 *   "HIGH:LOW"  each side 1 or more hex digits whose value fits 32 bits
 *               ("0:3e7", "00000000:000003E7"),
 *   "0x..."     hex ("0X" too), or
 *   decimal     ("999").
 * The whole string must be consumed: no sign, no spaces, no trailing junk.
 * Returns 0 and sets *out; LW_ESYNTAX for malformed text (*out untouched),
 * LW_ERANGE when a value does not fit (64 bits; 32 bits per side of "HIGH:LOW"),
 * LW_EINVAL for NULL arguments. */
int lw_luid_parse(const char *text, uint64_t *out);

/* Returns 1 for the built-in sessions above (SYSTEM, LOCAL SERVICE, NETWORK
 * SERVICE, ANONYMOUS LOGON, IUSR), which exist for the whole boot and are never
 * leaks; 0 otherwise. */
int lw_luid_is_well_known(uint64_t luid);

#endif /* LW_LUID_H */
