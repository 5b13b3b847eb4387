// SPDX-License-Identifier: MIT
/* libFuzzer target: message-info words (abi/mica/msg.h), as the kernel decodes them from
 * any register value: fields stay in range, and encoding the decoded fields gives back the
 * word's meaningful bits. The inputs are 8-byte words. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kernel.h"

#include <mica/msg.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (size_t at = 0; at + 8 <= size; at += 8) {
        uint64_t info;
        memcpy(&info, data + at, sizeof(info));
        uint64_t label = mica_msg_label(info);
        unsigned len = mica_msg_length(info), caps = mica_msg_caps(info);
        require(len <= MICA_MSG_LENGTH_MASK && caps <= MICA_MSG_CAPS_MASK);
        require(label < 1UL << (64 - MICA_MSG_LABEL_SHIFT));
        uint64_t again = mica_msginfo_caps(label, caps, len);
        uint64_t flags = (1UL << MICA_MSG_LABEL_SHIFT) - 1 -
                         ((MICA_MSG_CAPS_MASK << MICA_MSG_CAPS_SHIFT) | MICA_MSG_LENGTH_MASK);
        require(again == (info & ~flags));
        require(mica_msg_label(again) == label && mica_msg_length(again) == len &&
                mica_msg_caps(again) == caps);
        /* What the kernel does with a length: refuse it past the limit, or copy that many
         * words past the registers (invoke.c, ipc.c): never more than the buffer holds. */
        if (len <= MICA_MSG_MAX_WORDS && len > MICA_MSG_REG_WORDS)
            require((len - MICA_MSG_REG_WORDS) * 8 <= sizeof(((struct mica_ipc_buffer *)0)->mr));
    }
    return 0;
}
