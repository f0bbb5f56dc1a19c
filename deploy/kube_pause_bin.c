/*
 * deploy/kube_pause_bin.c — the bytes of kube play's pause process (deploy/pause/pause.c,
 * built apart by the Makefile as BLD_KUBE_PAUSE), embedded in bld so that a pod's infra
 * container needs no image: kube_play.c writes them under the store once.
 */
#ifndef BLD_KUBE_PAUSE /* the Makefile sets it for the build directory it builds in */
#define BLD_KUBE_PAUSE "build/kube-pause"
#endif

__asm__(".section .rodata\n"
	".balign 16\n"
	".globl bld_deploy_kube_pause\n"
	"bld_deploy_kube_pause:\n"
	".incbin \"" BLD_KUBE_PAUSE "\"\n"
	"bld_deploy_kube_pause_end:\n"
	".balign 8\n"
	".globl bld_deploy_kube_pause_size\n"
	"bld_deploy_kube_pause_size:\n"
	".8byte bld_deploy_kube_pause_end - bld_deploy_kube_pause\n"
	".previous\n");
