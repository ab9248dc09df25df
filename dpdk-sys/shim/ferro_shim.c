/* See ferro_shim.h. Compiled by build.rs with libdpdk's pkg-config cflags. */
#include "ferro_shim.h"

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_pause.h>

uint16_t ferro_eth_rx_burst(uint16_t port_id, uint16_t queue_id, struct rte_mbuf **rx_pkts,
                            uint16_t nb_pkts)
{
	return rte_eth_rx_burst(port_id, queue_id, rx_pkts, nb_pkts);
}

uint16_t ferro_eth_tx_burst(uint16_t port_id, uint16_t queue_id, struct rte_mbuf **tx_pkts,
                            uint16_t nb_pkts)
{
	return rte_eth_tx_burst(port_id, queue_id, tx_pkts, nb_pkts);
}

struct rte_mbuf *ferro_pktmbuf_alloc(struct rte_mempool *mp) { return rte_pktmbuf_alloc(mp); }

int ferro_pktmbuf_alloc_bulk(struct rte_mempool *mp, struct rte_mbuf **mbufs, unsigned int count)
{
	return rte_pktmbuf_alloc_bulk(mp, mbufs, count);
}

void ferro_pktmbuf_free(struct rte_mbuf *m) { rte_pktmbuf_free(m); }
void *ferro_pktmbuf_mtod(struct rte_mbuf *m) { return rte_pktmbuf_mtod(m, void *); }
char *ferro_pktmbuf_prepend(struct rte_mbuf *m, uint16_t len) { return rte_pktmbuf_prepend(m, len); }
char *ferro_pktmbuf_append(struct rte_mbuf *m, uint16_t len) { return rte_pktmbuf_append(m, len); }
char *ferro_pktmbuf_adj(struct rte_mbuf *m, uint16_t len) { return rte_pktmbuf_adj(m, len); }
int ferro_pktmbuf_trim(struct rte_mbuf *m, uint16_t len) { return rte_pktmbuf_trim(m, len); }
uint16_t ferro_pktmbuf_headroom(const struct rte_mbuf *m) { return rte_pktmbuf_headroom(m); }
uint16_t ferro_pktmbuf_tailroom(const struct rte_mbuf *m) { return rte_pktmbuf_tailroom(m); }
uint32_t ferro_pktmbuf_pkt_len(const struct rte_mbuf *m) { return rte_pktmbuf_pkt_len(m); }
uint16_t ferro_pktmbuf_data_len(const struct rte_mbuf *m) { return rte_pktmbuf_data_len(m); }
int ferro_pktmbuf_is_contiguous(const struct rte_mbuf *m) { return rte_pktmbuf_is_contiguous(m); }
int ferro_pktmbuf_linearize(struct rte_mbuf *m) { return rte_pktmbuf_linearize(m); }
void ferro_pktmbuf_reset(struct rte_mbuf *m) { rte_pktmbuf_reset(m); }
unsigned int ferro_lcore_id(void) { return rte_lcore_id(); }
uint64_t ferro_rdtsc(void) { return rte_rdtsc(); }
void ferro_pause(void) { rte_pause(); }
int ferro_errno(void) { return rte_errno; }

size_t ferro_mbuf_offset_buf_addr(void) { return offsetof(struct rte_mbuf, buf_addr); }
size_t ferro_mbuf_offset_data_off(void) { return offsetof(struct rte_mbuf, data_off); }
size_t ferro_mbuf_offset_pkt_len(void) { return offsetof(struct rte_mbuf, pkt_len); }
size_t ferro_mbuf_offset_data_len(void) { return offsetof(struct rte_mbuf, data_len); }
size_t ferro_mbuf_offset_port(void) { return offsetof(struct rte_mbuf, port); }
size_t ferro_mbuf_offset_buf_len(void) { return offsetof(struct rte_mbuf, buf_len); }
size_t ferro_mbuf_offset_nb_segs(void) { return offsetof(struct rte_mbuf, nb_segs); }
