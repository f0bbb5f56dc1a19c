/*
 * deploy/kube_pause_bin.c — the bytes of kube play's pause process (deploy/pause/pause.c,
 * built apart by the Makefile as BLD_KUBE_PAUSE), embedded in bld so that a pod's infra
 * container needs no image: kube_play.c writes them under the store once.
 */
#ifndef BLD_KUBE_PAUSE
#error "BLD_KUBE_PAUSE: the path of the built pause program (the Makefile sets it)"
#endif

__asm__(".section .rodata\n"
	".balign 16\n"
	".globl bld_deploy_kube_pause\n"
	"bld_deploy_kube_pause:\n"
	".incbin \"" BLD_KUBE_PAUSE "\"\n"
	".globl bld_deploy_kube_pause_end\n"
	"bld_deploy_kube_pause_end:\n"
	".previous\n");
