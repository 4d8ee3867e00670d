/* gtask-sup-stream-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "gtask-sup-stream.h"

G_BEGIN_DECLS

G_GNUC_INTERNAL
GtaskSupStream *_gtask_sup_stream_new     (GtaskSupSupervisor     *supervisor,
                                           GtaskSupStreamNextFunc  next_func,
                                           gpointer                user_data,
                                           GDestroyNotify          destroy);
G_GNUC_INTERNAL
void            _gtask_sup_stream_silence (GtaskSupStream         *self);

G_END_DECLS
