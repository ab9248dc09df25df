/* C shim over DPDK 22.11's static inline functions (they have no symbol to link against).
 * Every function here is a thin, non-inline forwarder; the Rust side declares them via bindgen. */
#ifndef FERRO_SHIM_H
#define FERRO_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <rte_mbuf.h>
#include <rte_ethdev.h>

uint16_t ferro_eth_rx_burst(uint16_t port_id, uint16_t queue_id, struct rte_mbuf **rx_pkts,
                            uint16_t nb_pkts);
uint16_t ferro_eth_tx_burst(uint16_t port_id, uint16_t queue_id, struct rte_mbuf **tx_pkts,
                            uint16_t nb_pkts);
struct rte_mbuf *ferro_pktmbuf_alloc(struct rte_mempool *mp);
int ferro_pktmbuf_alloc_bulk(struct rte_mempool *mp, struct rte_mbuf **mbufs, unsigned int count);
void ferro_pktmbuf_free(struct rte_mbuf *m);
void *ferro_pktmbuf_mtod(struct rte_mbuf *m);
char *ferro_pktmbuf_prepend(struct rte_mbuf *m, uint16_t len);
char *ferro_pktmbuf_append(struct rte_mbuf *m, uint16_t len);
char *ferro_pktmbuf_adj(struct rte_mbuf *m, uint16_t len);
int ferro_pktmbuf_trim(struct rte_mbuf *m, uint16_t len);
uint16_t ferro_pktmbuf_headroom(const struct rte_mbuf *m);
uint16_t ferro_pktmbuf_tailroom(const struct rte_mbuf *m);
uint32_t ferro_pktmbuf_pkt_len(const struct rte_mbuf *m);
uint16_t ferro_pktmbuf_data_len(const struct rte_mbuf *m);
int ferro_pktmbuf_is_contiguous(const struct rte_mbuf *m);
int ferro_pktmbuf_linearize(struct rte_mbuf *m);
void ferro_pktmbuf_reset(struct rte_mbuf *m);
unsigned int ferro_lcore_id(void);
uint64_t ferro_rdtsc(void);
void ferro_pause(void);
int ferro_errno(void);
/* Offsets of the rte_mbuf fields the Rust side reads directly (checked against Rust in tests). */
size_t ferro_mbuf_offset_buf_addr(void);
size_t ferro_mbuf_offset_data_off(void);
size_t ferro_mbuf_offset_pkt_len(void);
size_t ferro_mbuf_offset_data_len(void);
size_t ferro_mbuf_offset_port(void);
size_t ferro_mbuf_offset_buf_len(void);
size_t ferro_mbuf_offset_nb_segs(void);

#endif
