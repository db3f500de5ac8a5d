/* Acting on an enforced violation. The abort path: message, the caller's
 * backtrace through libunwind (dlopen'ed only now, so no ordinary process
 * ever maps it), then SIGABRT. Formatting uses fixed buffers and write(2). */
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "core.h"
#include "act.h"
#include "origin.h"
#include "report.h"
#include "resolve.h"

#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <signal.h>
#include <stdint.h>
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

/* The whole block (header, frames, the closing line) is built here and
 * written with one write(2) of at most PIPE_BUF bytes, so the blocks of two
 * ranks sharing a pipe never interleave. Static: the abort path is
 * single-shot (see the gate). */
static char      block[PIPE_BUF];
static fg_sbuf_t bsb;

static void put_str(const char *s)
{
    fg_report_stderr_line(s, strlen(s));
}

static void put_hex(fg_sbuf_t *sb, unsigned long v)
{
    char hex[20];
    int  k = (int)sizeof(hex);

    do {
        hex[--k] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v != 0 && k > 0);
    fg_sb_puts(sb, "0x");
    fg_sb_putn(sb, hex + k, sizeof(hex) - (size_t)k);
}

static void line_start(fg_sbuf_t *sb)
{
    fg_sb_puts(sb, fg_origin_ident());
    fg_sb_puts(sb, ": ");
}

/* Where a return address lies, honestly: `symbol+0xoff` only when that
 * symbol's size covers the address (dladdr1 RTLD_DL_SYMENT), or when the
 * name libunwind found starts exactly where the unwind info says this
 * function starts (static functions of the executable); otherwise
 * `object+0xoffset` (the nearest exported symbol may be unrelated). */
static void put_location(fg_sbuf_t *sb, unw_word_t ip, const char *uname,
                         unw_word_t uoff, unw_word_t proc_start)
{
    Dl_info          di;
    const ElfW(Sym) *sym  = NULL;
    uintptr_t        look = (uintptr_t)ip - 1;   /* a return address: the call is before it */

    if (dladdr1((void *)look, &di, (void **)&sym, RTLD_DL_SYMENT) == 0) {
        di.dli_fname = NULL;
        di.dli_sname = NULL;
    }
    if (di.dli_sname != NULL && sym != NULL && sym->st_size > 0 &&
        look >= (uintptr_t)di.dli_saddr && look < (uintptr_t)di.dli_saddr + sym->st_size) {
        fg_sb_puts(sb, di.dli_sname);
        fg_sb_putc(sb, '+');
        put_hex(sb, (unsigned long)(ip - (uintptr_t)di.dli_saddr));
    } else if (uname[0] != '\0' && proc_start != 0 && ip - uoff == proc_start) {
        fg_sb_puts(sb, uname);
        fg_sb_putc(sb, '+');
        put_hex(sb, (unsigned long)uoff);
    } else if (di.dli_fname != NULL) {
        const char *base = strrchr(di.dli_fname, '/');
        fg_sb_puts(sb, base ? base + 1 : (di.dli_fname[0] ? di.dli_fname : "?"));
        fg_sb_putc(sb, '+');
        put_hex(sb, (unsigned long)(ip - (uintptr_t)di.dli_fbase));
        return;
    } else {
        fg_sb_puts(sb, "??");
        return;
    }
    if (di.dli_fname != NULL) {
        const char *base = strrchr(di.dli_fname, '/');
        fg_sb_puts(sb, " (");
        fg_sb_puts(sb, base ? base + 1 : di.dli_fname);
        fg_sb_putc(sb, ')');
    }
}

/* Appends one frame line if it fits, keeping room for the closing lines. */
static int add_frame(int i, unw_word_t ip, const char *name, unw_word_t off,
                     unw_word_t proc_start)
{
    char      line[600];
    fg_sbuf_t sb;

    fg_sb_init(&sb, line, sizeof(line));
    line_start(&sb);
    fg_sb_puts(&sb, "  #");
    fg_sb_putl(&sb, i);
    fg_sb_putc(&sb, ' ');
    put_hex(&sb, (unsigned long)ip);
    fg_sb_putc(&sb, ' ');
    put_location(&sb, ip, name, off, proc_start);
    fg_sb_putc(&sb, '\n');
    if (bsb.len + sb.len + 400 > sizeof(block)) {
        return 0;
    }
    fg_sb_putn(&bsb, line, sb.len);
    return 1;
}

typedef int (*get_proc_info_fn_t)(unw_cursor_t *, unw_proc_info_t *);

static void backtrace_block(void)
{
    static unw_context_t ctx;
    static unw_cursor_t  cursor;
    getcontext_fn_t      getctx;
    init_local_fn_t      init;
    step_fn_t            step;
    get_reg_fn_t         get_reg;
    get_proc_name_fn_t   get_name;
    get_proc_info_fn_t   get_info;
    void                *h;
    char                 wrapper[128] = "";
    int                  i, shown = 0, left_out = 0;

    if (fg_origin_activity() != NULL) {
        /* a verdict reached on a thread of ours: its frames are not the
         * application's; say what the application was doing instead */
        line_start(&bsb);
        fg_sb_puts(&bsb, "raised on a fabguard thread while the application was ");
        fg_sb_puts(&bsb, fg_origin_activity());
        fg_sb_puts(&bsb, " (no caller backtrace: the call is not on this thread)\n");
        return;
    }
    h = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        line_start(&bsb);
        fg_sb_puts(&bsb, "(no caller backtrace: libunwind.so.8 could not be loaded)\n");
        return;
    }
    getctx   = (getcontext_fn_t)dlsym(h, FG_STR(UNW_ARCH_OBJ(getcontext)));
    init     = (init_local_fn_t)dlsym(h, FG_STR(UNW_OBJ(init_local)));
    step     = (step_fn_t)dlsym(h, FG_STR(UNW_OBJ(step)));
    get_reg  = (get_reg_fn_t)dlsym(h, FG_STR(UNW_OBJ(get_reg)));
    get_name = (get_proc_name_fn_t)dlsym(h, FG_STR(UNW_OBJ(get_proc_name)));
    get_info = (get_proc_info_fn_t)dlsym(h, FG_STR(UNW_OBJ(get_proc_info)));
    if (!getctx || !init || !step || !get_reg || !get_name ||
        getctx(&ctx) != 0 || init(&cursor, &ctx) != 0) {
        line_start(&bsb);
        fg_sb_puts(&bsb, "(no caller backtrace: libunwind.so.8 is unusable)\n");
        return;
    }
    /* our own frames are noise: start at the application's call */
    for (i = 0; i < FG_BACKTRACE_MAX * 2 && step(&cursor) > 0; i++) {
        unw_word_t      ip = 0, off = 0;
        unw_proc_info_t pi;
        char            name[256];
        get_reg(&cursor, UNW_REG_IP, &ip);
        if (get_name(&cursor, name, sizeof(name), &off) != 0) {
            name[0] = '\0';
        }
        if (fg_addr_is_ours((void *)ip)) {
            fg_strlcpy(wrapper, name, sizeof(wrapper));
            continue;
        }
        if (shown == 0) {
            line_start(&bsb);
            fg_sb_puts(&bsb, "caller backtrace (from ");
            fg_sb_puts(&bsb, wrapper[0] ? wrapper : "fabguard");
            fg_sb_puts(&bsb, "):\n");
        }
        memset(&pi, 0, sizeof(pi));
        if (get_info == NULL || get_info(&cursor, &pi) != 0) {
            pi.start_ip = 0;
        }
        if (shown >= FG_BACKTRACE_MAX || !add_frame(shown, ip, name, off, pi.start_ip)) {
            left_out++;
        }
        shown++;
    }
    if (left_out > 0) {
        line_start(&bsb);
        fg_sb_puts(&bsb, "  (");
        fg_sb_putl(&bsb, left_out);
        fg_sb_puts(&bsb, " more frames)\n");
    }
}

void fg_act_abort(const char *msg, size_t len)
{
    /* one thread reports; any other violating thread waits for the end */
    static atomic_int gate;

    if (atomic_exchange(&gate, 1) != 0) {
        for (;;) {
            pause();
        }
    }
    fg_report_stderr_line(msg, len);
    fg_sb_init(&bsb, block, sizeof(block));
    backtrace_block();
    line_start(&bsb);
    fg_sb_puts(&bsb, "aborting (fabguard.on_violation=abort)\n");
    fg_report_stderr_line(block, bsb.len);   /* <= PIPE_BUF: one write */
    abort();
}

void fg_act_exit(void)
{
    put_str("fabguard: exiting with status 3 (fabguard.on_violation=exit)\n");
    exit(3);
}
