// Answers a CoAP request with the stored average temperature as JSON, e.g.
// {"temperature": 21.5}. Runs with access to the CoAP packet (the `coap` execution model).
#include "ubpf_helpers.h"

#define KEY_AVERAGE 17

int main(ubpf_coap_ctx_t *ctx) {
    uint32_t average = 0;
    bpf_fetch_global(KEY_AVERAGE, &average);
    char number[16];
    size_t digits = bpf_fmt_s16_dfp(number, (int16_t)average, -1);
    char json[48] = "{\"temperature\": ";
    size_t at = bpf_strlen(json);
    for (size_t i = 0; i < digits && at < sizeof json - 2; ++i) json[at++] = number[i];
    json[at++] = '}';
    json[at] = 0;
    bpf_gcoap_resp_init(ctx, (2 << 5) | 5);  // 2.05 Content
    bpf_coap_add_format(ctx, COAP_FORMAT_JSON);
    // opt_finish gives the payload's offset in the PDU; get_pdu the PDU's start.
    long header = bpf_coap_opt_finish(ctx, COAP_OPT_FINISH_PAYLOAD);
    uint8_t *pdu = bpf_coap_get_pdu(ctx);
    if (header < 0 || pdu == 0) return -1;
    bpf_memcpy(pdu + header, json, at);
    return (int)(header + at);
}
