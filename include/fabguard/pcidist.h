/* PCIe distance classes, nearest first, as `nvidia-smi topo -m` names them:
 * PIX one PCIe switch, PXB several switches, PHB through the host bridge,
 * NODE across host bridges of one NUMA node, SYS across sockets. */
#ifndef FABGUARD_PCIDIST_H
#define FABGUARD_PCIDIST_H

typedef enum {
    FG_DIST_PIX, FG_DIST_PXB, FG_DIST_PHB, FG_DIST_NODE, FG_DIST_SYS,
    FG_DIST_UNKNOWN
} fg_dist_t;

const char *fg_dist_name(fg_dist_t d);
/* "PIX".."SYS" (case-insensitive); FG_DIST_UNKNOWN otherwise. */
fg_dist_t   fg_dist_parse(const char *s);

#endif
