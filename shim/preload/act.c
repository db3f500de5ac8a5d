/* Acting on an enforced violation. The abort path: message, the caller's
 * backtrace through libunwind (dlopen'ed only now, so no ordinary process
 * ever maps it), then SIGABRT. Formatting uses fixed buffers and write(2). */
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "core.h"
#include "resolve.h"

#include <dlfcn.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FG_STR2(x) #x
#define FG_STR(x)  FG_STR2(x)
#define FG_BACKTRACE_MAX 32

typedef int (*getcontext_fn_t)(unw_context_t *);
typedef int (*init_local_fn_t)(unw_cursor_t *, unw_context_t *);
typedef int (*step_fn_t)(unw_cursor_t *);
typedef int (*get_reg_fn_t)(unw_cursor_t *, unw_regnum_t, unw_word_t *);
typedef int (*get_proc_name_fn_t)(unw_cursor_t *, char *, size_t, unw_word_t *);

static void put_str(const char *s)
{
    size_t  n = strlen(s);
    ssize_t w;

    while (n > 0) {
        w = write(STDERR_FILENO, s, n);
        if (w <= 0) {
            return;
        }
        s += w;
        n -= (size_t)w;
    }
}

static void put_frame(int i, unw_word_t ip, const char *name, unw_word_t off)
{
    char      line[512];
    fg_sbuf_t sb;
    Dl_info   di;
    char      hex[20];
    int       k;

    fg_sb_init(&sb, line, sizeof(line));
    fg_sb_puts(&sb, "fabguard:   #");
    fg_sb_putl(&sb, i);
    for (k = 0; k < 16; k++) {
        hex[k] = "0123456789abcdef"[(ip >> (60 - 4 * k)) & 15];
    }
    hex[16] = '\0';
    fg_sb_puts(&sb, " 0x");
    fg_sb_puts(&sb, hex);
    fg_sb_puts(&sb, " ");
    fg_sb_puts(&sb, name[0] ? name : "??");
    if (name[0]) {
        fg_sb_puts(&sb, "+");
        fg_sb_putl(&sb, (long)off);
    }
    if (dladdr((void *)ip, &di) != 0 && di.dli_fname != NULL) {
        const char *base = strrchr(di.dli_fname, '/');
        fg_sb_puts(&sb, " (");
        fg_sb_puts(&sb, base ? base + 1 : di.dli_fname);
        fg_sb_puts(&sb, ")");
    }
    fg_sb_putc(&sb, '\n');
    put_str(line);
}

static void print_backtrace(void)
{
    static unw_context_t ctx;      /* abort path is single-shot (see gate) */
    static unw_cursor_t  cursor;
    getcontext_fn_t      getctx;
    init_local_fn_t      init;
    step_fn_t            step;
    get_reg_fn_t         get_reg;
    get_proc_name_fn_t   get_name;
    void                *h = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
    char                 wrapper[128] = "";
    int                  i, shown = 0;

    if (h == NULL) {
        put_str("fabguard: (no caller backtrace: libunwind.so.8 could not be loaded)\n");
        return;
    }
    getctx   = (getcontext_fn_t)dlsym(h, FG_STR(UNW_ARCH_OBJ(getcontext)));
    init     = (init_local_fn_t)dlsym(h, FG_STR(UNW_OBJ(init_local)));
    step     = (step_fn_t)dlsym(h, FG_STR(UNW_OBJ(step)));
    get_reg  = (get_reg_fn_t)dlsym(h, FG_STR(UNW_OBJ(get_reg)));
    get_name = (get_proc_name_fn_t)dlsym(h, FG_STR(UNW_OBJ(get_proc_name)));
    if (!getctx || !init || !step || !get_reg || !get_name ||
        getctx(&ctx) != 0 || init(&cursor, &ctx) != 0) {
        put_str("fabguard: (no caller backtrace: libunwind.so.8 is unusable)\n");
        return;
    }
    /* our own frames are noise: start at the application's call */
    for (i = 0; i < FG_BACKTRACE_MAX * 2 && step(&cursor) > 0; i++) {
        unw_word_t ip = 0, off = 0;
        char       name[256];
        get_reg(&cursor, UNW_REG_IP, &ip);
        if (get_name(&cursor, name, sizeof(name), &off) != 0) {
            name[0] = '\0';
        }
        if (fg_addr_is_ours((void *)ip)) {
            fg_strlcpy(wrapper, name, sizeof(wrapper));
            continue;
        }
        if (shown == 0) {
            put_str("fabguard: caller backtrace (from ");
            put_str(wrapper[0] ? wrapper : "fabguard");
            put_str("):\n");
        }
        if (shown < FG_BACKTRACE_MAX) {
            put_frame(shown, ip, name, off);
        }
        shown++;
    }
}

void fg_act_abort(const char *msg, size_t len)
{
    /* one thread reports; any other violating thread waits for the end */
    static atomic_int gate;
    ssize_t           w;

    if (atomic_exchange(&gate, 1) != 0) {
        for (;;) {
            pause();
        }
    }
    w = write(STDERR_FILENO, msg, len);
    (void)w;
    print_backtrace();
    put_str("fabguard: aborting (fabguard.on_violation=abort)\n");
    abort();
}

void fg_act_exit(void)
{
    put_str("fabguard: exiting with status 3 (fabguard.on_violation=exit)\n");
    exit(3);
}
