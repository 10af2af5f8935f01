//! Client-level requests: the ones not about one map's entries.

use hazelcast_protocol::codec::client::*;
use hazelcast_protocol::codec::custom;
use hazelcast_protocol::codec::dynamic_config::*;
use hazelcast_protocol::message::Message;
use uuid::Uuid;

use super::wire::{map_config_from, schema_from};
use super::{AfterResponse, ConnInfo, Handled, MAP_SERVICE, plain};
use crate::engine::Engine;
use crate::error::MemberError;

/// Client-level requests: ping, statistics, listeners of the cluster view and backups,
/// proxies, Compact schemas, dynamic map configuration. `None`: not one of these.
pub(super) fn handle(c: &mut ConnInfo<'_>, m: &Message) -> Result<Option<Handled>, MemberError> {
    let engine: &Engine = &c.shared.engine;
    Ok(Some(match m.message_type() {
        ClientPingRequest::MESSAGE_TYPE => plain(ClientPingResponse {}.encode()),
        ClientStatisticsRequest::MESSAGE_TYPE => {
            // Stored by a real member for Management Center; checked for shape here.
            let _ = decode!(m, ClientStatisticsRequest);
            plain(ClientStatisticsResponse {}.encode())
        }
        ClientAddClusterViewListenerRequest::MESSAGE_TYPE => Handled {
            response: ClientAddClusterViewListenerResponse {}.encode(),
            backups: Vec::new(),
            then: Some(AfterResponse::ClusterViews),
        },
        ClientLocalBackupListenerRequest::MESSAGE_TYPE => {
            *c.backup_listener = Some(c.correlation_id);
            plain(
                ClientLocalBackupListenerResponse {
                    response: Uuid::new_v4(),
                }
                .encode(),
            )
        }
        ClientCreateProxyRequest::MESSAGE_TYPE => {
            let r = decode!(m, ClientCreateProxyRequest);
            if r.service_name == MAP_SERVICE {
                engine.create_proxy(&r.name);
            }
            plain(ClientCreateProxyResponse {}.encode())
        }
        ClientCreateProxiesRequest::MESSAGE_TYPE => {
            let r = decode!(m, ClientCreateProxiesRequest);
            for (name, service) in &r.proxies {
                if service == MAP_SERVICE {
                    engine.create_proxy(name);
                }
            }
            plain(ClientCreateProxiesResponse {}.encode())
        }
        ClientDestroyProxyRequest::MESSAGE_TYPE => {
            let r = decode!(m, ClientDestroyProxyRequest);
            if r.service_name == MAP_SERVICE {
                engine.destroy_proxy(&r.name);
            }
            plain(ClientDestroyProxyResponse {}.encode())
        }
        ClientSendSchemaRequest::MESSAGE_TYPE => {
            let r = decode!(m, ClientSendSchemaRequest);
            let members = engine.add_schema(schema_from(&r.schema)?)?;
            plain(
                ClientSendSchemaResponse {
                    replicated_members: members,
                }
                .encode(),
            )
        }
        ClientFetchSchemaRequest::MESSAGE_TYPE => {
            let r = decode!(m, ClientFetchSchemaRequest);
            plain(
                ClientFetchSchemaResponse {
                    schema: engine
                        .schema(r.schema_id)
                        .as_deref()
                        .map(custom::Schema::from),
                }
                .encode(),
            )
        }
        ClientSendAllSchemasRequest::MESSAGE_TYPE => {
            let r = decode!(m, ClientSendAllSchemasRequest);
            for s in &r.schemas {
                engine.add_schema(schema_from(s)?)?;
            }
            plain(ClientSendAllSchemasResponse {}.encode())
        }
        ClientTriggerPartitionAssignmentRequest::MESSAGE_TYPE => {
            plain(ClientTriggerPartitionAssignmentResponse {}.encode())
        }
        DynamicConfigAddMapConfigRequest::MESSAGE_TYPE => {
            let r = decode!(m, DynamicConfigAddMapConfigRequest);
            let cfg = map_config_from(&r);
            if let Err(e) = engine.add_map_config(cfg) {
                tracing::error!(map = %r.name, "AddDynamicConfigOperation failed: {e}");
                return Err(e);
            }
            plain(DynamicConfigAddMapConfigResponse {}.encode())
        }
        _ => return Ok(None),
    }))
}
