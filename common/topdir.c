/*
 * common/topdir.c — marks a directory as the top of independent hierarchies (FS_TOPDIR_FL,
 * the flag ext4 gives /home), for the directories under which bld makes big trees: the layer
 * store (cache/unpack.c) and the builds' scratch space (builder/build.c).
 *
 * Why: ext4's Orlov allocator then starts each new directory below in a block group of its
 * own with room to spare, instead of the group of its parent and of everything created and
 * deleted near it. On a journal-less ext4 that matters a lot: for a minute or more after many
 * files were deleted in a group, every new inode there scans past all the freed ones (ext4
 * does not reuse recently deleted inodes there), so that 10,000 new files after 10,000
 * deleted ones took 13 s instead of 1.5 s. Other filesystems ignore the flag or refuse it;
 * either way nothing changes but speed. It does not choose groups itself (nothing can).
 */
#include "common/common.h"

#include <errno.h>
#include <linux/fs.h>
#include <sys/ioctl.h>

int bld_fs_mark_topdir(int dirfd)
{
	int flags = 0;
	if (ioctl(dirfd, FS_IOC_GETFLAGS, &flags) < 0)
		return -errno;
	if (flags & FS_TOPDIR_FL)
		return 0;
	flags |= FS_TOPDIR_FL;
	return ioctl(dirfd, FS_IOC_SETFLAGS, &flags) < 0 ? -errno : 0;
}
