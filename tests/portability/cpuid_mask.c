/* Show a process another x86-64 CPU: an LD_PRELOAD library that answers CPUID for it.
 *
 * Libraries pick their code paths by executing CPUID (MKL's dispatcher and its vendor check,
 * oneDNN, ATen's cpuinfo, NumPy's dispatch). Linux can make CPUID fault in user space
 * (arch_prctl ARCH_SET_CPUID, on CPUs with CPUID faulting); this library turns that on in
 * its constructor and answers each faulting CPUID with the real result, edited to the CPU
 * named by CPUID_PROFILE:
 *
 *   amd-zen2   AuthenticAMD, family 17h (Zen 2): AVX2 and FMA, no AVX-512, no AMX
 *   sse4.2     GenuineIntel without AVX, AVX2, FMA, AVX-512 or AMX (x86-64-v2)
 *
 * What it cannot change: glibc's own CPU features (read before any constructor runs; use
 * GLIBC_TUNABLES) and what an instruction computes on this silicon.
 * Without CPUID_PROFILE the library does nothing; if CPUID cannot fault, the process aborts.
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <cpuid.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

enum { AMD_ZEN2 = 1, SSE42 = 2 };
static int profile;

/* CPUID.(EAX=7,ECX=0) bits of the AVX-512 family and of AMX */
#define AVX512_EBX 0xDC230000u /* F DQ IFMA PF ER CD BW VL */
#define AVX512_ECX 0x00005F42u /* VBMI VBMI2 GFNI VAES VPCLMULQDQ VNNI BITALG VPOPCNTDQ */
#define AVX512_EDX 0x03C0010Cu /* 4VNNIW 4FMAPS VP2INTERSECT AMX-BF16 FP16 AMX-TILE AMX-INT8 */

static long cpuid_faulting(int on) { return syscall(SYS_arch_prctl, ARCH_SET_CPUID, !on); }

static void edit(unsigned leaf, unsigned sub, unsigned *a, unsigned *b, unsigned *c, unsigned *d) {
    if (leaf == 0 && profile == AMD_ZEN2) { /* "AuthenticAMD" */
        *b = 0x68747541u; *d = 0x69746E65u; *c = 0x444D4163u;
    }
    if (leaf == 1) {
        if (profile == AMD_ZEN2) *a = 0x00830F10u;                            /* family 17h */
        if (profile == SSE42) *c &= ~((1u << 12) | (1u << 28) | (1u << 29));  /* FMA AVX F16C */
    }
    if (leaf == 7 && sub == 0) {
        *b &= ~AVX512_EBX; *c &= ~AVX512_ECX; *d &= ~AVX512_EDX;
        if (profile == SSE42) *b &= ~(1u << 5);                               /* AVX2 */
    }
    if (leaf == 7 && sub == 1) *a &= ~((1u << 4) | (1u << 5));                /* AVX-VNNI, AVX512-BF16 */
}

static void on_fault(int sig, siginfo_t *info, void *context) {
    greg_t *r = ((ucontext_t *)context)->uc_mcontext.gregs;
    const unsigned char *ip = (const unsigned char *)r[REG_RIP];
    unsigned a, b, c, d, leaf = (unsigned)r[REG_RAX], sub = (unsigned)r[REG_RCX];
    (void)sig; (void)info;
    if (ip[0] != 0x0F || ip[1] != 0xA2) { /* not CPUID: a real crash, let it happen */
        signal(SIGSEGV, SIG_DFL);
        return;
    }
    cpuid_faulting(0);
    __cpuid_count(leaf, sub, a, b, c, d);
    cpuid_faulting(1);
    edit(leaf, sub, &a, &b, &c, &d);
    r[REG_RAX] = a; r[REG_RBX] = b; r[REG_RCX] = c; r[REG_RDX] = d;
    r[REG_RIP] += 2; /* past the CPUID instruction */
}

__attribute__((constructor)) static void install(void) {
    const char *name = getenv("CPUID_PROFILE");
    struct sigaction action;
    if (!name || !*name) return;
    if (!strcmp(name, "amd-zen2")) profile = AMD_ZEN2;
    else if (!strcmp(name, "sse4.2")) profile = SSE42;
    else abort();
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_fault;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    if (sigaction(SIGSEGV, &action, NULL) != 0 || cpuid_faulting(1) != 0) abort();
}
