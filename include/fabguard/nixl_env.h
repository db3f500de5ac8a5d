/* NIXL's reading of its own environment, where fabguard must agree with it. */
#ifndef FABGUARD_NIXL_ENV_H
#define FABGUARD_NIXL_ENV_H

/* Does NIXL >= 1.4 load its UCX plugin with RTLD_DEEPBIND for this value of
 * NIXL_UCX_DEEPBIND (NULL: unset)? NIXL reads it as a boolean: y, yes, on,
 * 1, true, enable (any case) turn it on, n, no, off, 0, false, disable turn
 * it off, and any other value — the empty one included — turns it on after
 * a warning. */
int fg_nixl_deepbind_requested(const char *value);

#endif
