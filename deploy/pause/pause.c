/*
 * deploy/pause/pause.c — the one process of a pod's infra container (kube play): it holds
 * the pod's network namespace and does nothing else, as Kubernetes' pause container does.
 *
 * Built freestanding and static (no libc: a few hundred bytes) so that bld can write it
 * into an otherwise empty root directory; the container runs it under the runner's --init,
 * whose forwarded SIGTERM ends it (no handler here: the default action). Not in the bld
 * binary's sources: the Makefile builds it apart and bld embeds its bytes (kube_pause_bin.c).
 */
#if defined(__x86_64__)
static void wait_forever(void)
{
	long r;
	/* pause(2) */
	__asm__ volatile("syscall" : "=a"(r) : "a"(34L) : "rcx", "r11", "memory");
	(void)r;
}
#elif defined(__aarch64__)
static void wait_forever(void)
{
	/* ppoll(NULL, 0, NULL, NULL): aarch64 has no pause(2) */
	register long x8 __asm__("x8") = 73;
	register long x0 __asm__("x0") = 0;
	register long x1 __asm__("x1") = 0;
	register long x2 __asm__("x2") = 0;
	register long x3 __asm__("x3") = 0;
	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
}
#else
#error "kube pause: add this architecture's wait-for-a-signal system call"
#endif

void _start(void);
void _start(void)
{
	for (;;)
		wait_forever();
}
