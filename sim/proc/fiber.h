/*
 * afmp: fibers, the execution contexts of simulated processes.
 *
 * A fiber is a function running on its own stack that gives the CPU away
 * only by an explicit switch. Simulated processes (sim/proc/proc.h) run on
 * fibers so that application code can make blocking calls: a blocking call
 * switches back to the engine, and the event that satisfies the call
 * switches into the fiber again.
 *
 * The switch is a few instructions of assembly per architecture (x86-64
 * System V and aarch64 AAPCS64: only the callee-saved registers are saved,
 * plus the floating-point control state on x86-64), with ucontext
 * (makecontext/swapcontext) as the fallback elsewhere. Defining
 * MP_FIBER_FORCE_UCONTEXT at compile time removes the assembly, as if on an
 * architecture without it; tests can also ask for either implementation per
 * fiber. Both kinds may be mixed freely: a switch saves the leaving context
 * the way the entered one was saved.
 *
 * Stacks are mmap()ed with a PROT_NONE guard page below them. A SIGSEGV
 * handler (on an alternate signal stack, installed when the first fiber is
 * created) recognises a fault in the guard page of the running fiber, prints
 *   afmp: stack overflow in process '<name>' (stack <N> KiB); raise its stack size
 * and aborts: the fiber's state is lost, so there is no way to go on. Any
 * other SIGSEGV goes to the handler that was installed before (AddressSanitizer's,
 * say) or gets the default action.
 *
 * The thread's own stack takes part in switches through a "root" fiber
 * (mp_fiber_new_root), a save area with no stack of its own.
 *
 * Fibers belong to one thread: a fiber is only ever switched to on the thread
 * that created it.
 *
 * Under AddressSanitizer every switch is announced with
 * __sanitizer_start_switch_fiber / __sanitizer_finish_switch_fiber, so that
 * the suite passes with -Db_sanitize=address,undefined.
 */
#ifndef MP_SIM_FIBER_H
#define MP_SIM_FIBER_H

#include <stdbool.h>
#include <stddef.h>

struct mp_fiber;

typedef void (*mp_fiber_fn)(void *arg);

enum mp_fiber_impl {
    MP_FIBER_IMPL_DEFAULT = 0, /* the assembly switch where there is one */
    MP_FIBER_IMPL_ASM,         /* the assembly switch (x86-64, aarch64) */
    MP_FIBER_IMPL_UCONTEXT,    /* makecontext/swapcontext */
};

/* Stack size used when 0 is asked for. */
#define MP_FIBER_STACK_DEFAULT ((size_t)256 * 1024)
/* Smaller requests are raised to this. */
#define MP_FIBER_STACK_MIN ((size_t)16 * 1024)
/* Longest name kept for the overflow message; longer names are cut. */
#define MP_FIBER_NAME_MAX 63

/*
 * mp_fiber_impl_available returns true if fibers of kind |impl| can be
 * created on this build (MP_FIBER_IMPL_ASM is unavailable on architectures
 * without the assembly switch and under MP_FIBER_FORCE_UCONTEXT).
 */
bool mp_fiber_impl_available(enum mp_fiber_impl impl);

/*
 * mp_fiber_new creates a fiber that will run |fn|(|arg|) on a fresh stack of
 * |stack_size| bytes (0: MP_FIBER_STACK_DEFAULT; rounded up to whole pages
 * and to at least MP_FIBER_STACK_MIN) with a guard page below it. |name|
 * (may be NULL) appears in the stack overflow message. The fiber does not
 * run until something switches to it. When |fn| returns, the fiber is
 * finished and control goes for good to the fiber that last switched to it.
 *
 * The first call on a thread also installs the overflow handler and, if the
 * thread has none, an alternate signal stack (kept for the thread's life).
 *
 * On success stores the fiber in |*pf| and returns 0. Errors:
 *   -EINVAL  |impl| is not available (see mp_fiber_impl_available)
 *   -ENOMEM  the stack could not be mapped or protected
 */
int mp_fiber_new(struct mp_fiber **pf, const char *name, size_t stack_size, enum mp_fiber_impl impl,
                 mp_fiber_fn fn, void *arg);

/*
 * mp_fiber_new_root returns a root fiber: a place to save the context of
 * whoever switches away from the thread's own stack (an engine, a test's
 * main). It has no stack. Switching into it resumes the context saved by the
 * last mp_fiber_switch(root, ...). Never fails (allocation failure aborts).
 */
struct mp_fiber *mp_fiber_new_root(void);

/*
 * mp_fiber_free releases |f| and its stack. |f| must not be the running
 * fiber; it may be finished, never started, or suspended in a switch (its
 * stack is then discarded without unwinding). NULL is ignored.
 */
void mp_fiber_free(struct mp_fiber *f);

/*
 * mp_fiber_switch saves the running context into |from| (which must be the
 * fiber running now, or a root fiber when running on the thread's stack) and
 * resumes |to| (a fiber never started, or one suspended by a switch). Returns
 * when something switches back to |from|. |to| must not be finished.
 */
void mp_fiber_switch(struct mp_fiber *from, struct mp_fiber *to);

/*
 * mp_fiber_exit_to ends the running fiber |self| for good and resumes |to|.
 * |self| is marked finished; its stack stays mapped until someone calls
 * mp_fiber_free on it from another context.
 */
_Noreturn void mp_fiber_exit_to(struct mp_fiber *self, struct mp_fiber *to);

/*
 * mp_fiber_current returns the fiber running on this thread, or NULL when
 * the thread runs on its own stack (no switch yet, or a root fiber resumed).
 */
struct mp_fiber *mp_fiber_current(void);

/* mp_fiber_arg returns the |arg| given at creation (NULL for a root). */
void *mp_fiber_arg(const struct mp_fiber *f);

/* mp_fiber_entry returns the |fn| given at creation (NULL for a root), so
 * that a layer can tell its own fibers from others'. */
mp_fiber_fn mp_fiber_entry(const struct mp_fiber *f);

/* mp_fiber_finished returns true once |f|'s function has returned or
 * mp_fiber_exit_to has ended it. */
bool mp_fiber_finished(const struct mp_fiber *f);

/* mp_fiber_name returns the (possibly cut) name given at creation, "" if
 * none. */
const char *mp_fiber_name(const struct mp_fiber *f);

/* mp_fiber_stack_size returns the usable stack size in bytes after
 * rounding (0 for a root). */
size_t mp_fiber_stack_size(const struct mp_fiber *f);

/* mp_fiber_impl_of returns the switch implementation |f| was created with
 * (never MP_FIBER_IMPL_DEFAULT). */
enum mp_fiber_impl mp_fiber_impl_of(const struct mp_fiber *f);

#endif
