/* SPDX-License-Identifier: MIT */
/* Stand-in for RIOT 2024.04 sys/include/net/gcoap.h with the parts of net/nanocoap.h and
 * net/coap.h the adapter uses (declarations only; coap_pkt_t lists only the fields the adapter
 * may touch, payload and payload_len). */
#ifndef UBPF_RIOT_STUB_GCOAP_H
#define UBPF_RIOT_STUB_GCOAP_H
#include "riot_stub_common.h"
#ifdef __cplusplus
extern "C" {
#endif
typedef struct {
    void* hdr;
    uint8_t* payload;
    void* snips;
    uint16_t payload_len;
    uint16_t options_len;
} coap_pkt_t;
typedef struct _coap_request_ctx coap_request_ctx_t;
typedef ssize_t (*coap_handler_t)(coap_pkt_t* pkt, uint8_t* buf, size_t len, coap_request_ctx_t* context);
typedef uint16_t coap_method_flags_t;
#define COAP_GET (0x01)
#define COAP_POST (0x02)
#define COAP_OPT_FINISH_NONE (0x0000)
#define COAP_OPT_FINISH_PAYLOAD (0x0001)
typedef struct {
    const char* path;
    coap_method_flags_t methods;
    coap_handler_t handler;
    void* context;
} coap_resource_t;
typedef enum { GCOAP_SOCKET_TYPE_UNDEF = 0x0, GCOAP_SOCKET_TYPE_UDP = 0x1 } gcoap_socket_type_t;
typedef struct gcoap_listener gcoap_listener_t;
typedef ssize_t (*gcoap_link_encoder_t)(const coap_resource_t* resource, char* buf, size_t maxlen,
                                        void* context);
typedef int (*gcoap_request_matcher_t)(gcoap_listener_t* listener, const coap_resource_t** resource,
                                       coap_pkt_t* pdu);
struct gcoap_listener {
    const coap_resource_t* resources;
    size_t resources_len;
    gcoap_socket_type_t tl_type;
    gcoap_link_encoder_t link_encoder;
    struct gcoap_listener* next;
    gcoap_request_matcher_t request_matcher;
};
void* coap_request_ctx_get_context(const coap_request_ctx_t* ctx);
void gcoap_register_listener(gcoap_listener_t* listener);
int gcoap_resp_init(coap_pkt_t* pdu, uint8_t* buf, size_t len, unsigned code);
ssize_t coap_opt_add_format(coap_pkt_t* pkt, uint16_t format);
ssize_t coap_opt_finish(coap_pkt_t* pkt, uint16_t flags);
#ifdef __cplusplus
}
#endif
#endif
