/* A minimal C client of the ring, built and run by tests/c_header.rs:
 *   ring_tool <segment path> <lib_gen> <fwd_gen> <seq>
 * checks the header identity, then writes one RouteAddV4 command (10.20.0.0/16 -> next hop 7)
 * into the command ring as the producer and publishes it with a release store. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ferrosai_ring.h"

int main(int argc, char **argv) {
    if (argc != 5) return 2;
    int fd = open(argv[1], O_RDWR);
    if (fd < 0) { perror("open"); return 1; }
    struct stat st;
    if (fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(FsRingSegHeader)) return 1;
    uint8_t *base = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) { perror("mmap"); return 1; }
    FsRingSegHeader h;
    memcpy(&h, base, sizeof h);
    if (h.magic != FSRING_MAGIC) { fprintf(stderr, "bad magic\n"); return 3; }
    if (h.layout_version != FSRING_LAYOUT_VERSION || h.layout_hash != FSRING_LAYOUT_HASH) {
        fprintf(stderr, "layout mismatch\n");
        return 3;
    }
    if (h.total_bytes != (uint64_t)st.st_size || h.record_bytes != sizeof(FsRingRecord)) return 3;
    uint32_t *prod = (uint32_t *)(base + h.cmd_offset);
    uint32_t *cons = (uint32_t *)(base + h.cmd_offset + 64);
    uint32_t tail = __atomic_load_n(prod, __ATOMIC_RELAXED);
    uint32_t head = __atomic_load_n(cons, __ATOMIC_ACQUIRE); /* pairs with the consumer's release */
    if (tail - head >= h.cmd_capacity) { fprintf(stderr, "ring full or corrupt\n"); return 4; }
    FsRingRecord r;
    FsRingRoutePayload p;
    memset(&r, 0, sizeof r);
    memset(&p, 0, sizeof p);
    r.seq = strtoull(argv[4], NULL, 10);
    r.lib_gen = (uint32_t)strtoul(argv[2], NULL, 10);
    r.fwd_gen = (uint32_t)strtoul(argv[3], NULL, 10);
    r.kind = FsRingKind_RouteAddV4;
    p.vrf = 0;
    p.prefix[0] = 10; p.prefix[1] = 20;
    p.len = 16;
    p.action = FsRingRouteActionCode_Forward;
    p.target_kind = FsRingTargetKind_NextHop;
    p.target = 7;
    memcpy(r.payload, &p, sizeof p);
    FsRingRecord *slots = (FsRingRecord *)(base + h.cmd_offset + FSRING_RING_CONTROL_BYTES);
    slots[tail & (h.cmd_capacity - 1)] = r;
    __atomic_store_n(prod, tail + 1, __ATOMIC_RELEASE); /* pairs with the consumer's acquire */
    printf("wrote seq %llu at index %u\n", (unsigned long long)r.seq, tail);
    munmap(base, (size_t)st.st_size);
    close(fd);
    return 0;
}
