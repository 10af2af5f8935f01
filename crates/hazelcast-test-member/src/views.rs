//! Member list and partition table as the client protocol carries them.

use hazelcast_protocol::codec::client::{
    ClientAddClusterViewListenerMembersViewEvent, ClientAddClusterViewListenerPartitionsViewEvent,
};
use hazelcast_protocol::codec::custom::{Address, EndpointQualifier, MemberInfo, MemberVersion};
use hazelcast_protocol::message::Message;
use uuid::Uuid;

use crate::engine::Engine;

/// Version members report (the measured member was 5.4.0-SNAPSHOT, facts §8.1).
pub(crate) const MEMBER_VERSION: (u8, u8, u8) = (5, 4, 0);
/// Version string in authentication responses.
pub(crate) const SERVER_VERSION: &str = "5.4.0";

/// `EndpointQualifier` types.
const MEMBER_QUALIFIER: i32 = 0;
const CLIENT_QUALIFIER: i32 = 1;

/// Address as the protocol carries it.
pub(crate) fn address(a: std::net::SocketAddr) -> Address {
    Address {
        host: a.ip().to_string(),
        port: i32::from(a.port()),
    }
}

/// Live members that listen, in join order.
pub(crate) fn member_infos(engine: &Engine) -> Vec<MemberInfo> {
    let (major, minor, patch) = MEMBER_VERSION;
    engine
        .members()
        .into_iter()
        .filter_map(|m| {
            let a = address(m.address?);
            Some(MemberInfo {
                address: a.clone(),
                uuid: m.uuid,
                attributes: Vec::new(),
                lite_member: false,
                version: MemberVersion {
                    major,
                    minor,
                    patch,
                },
                address_map: Some(vec![
                    (
                        EndpointQualifier {
                            r#type: MEMBER_QUALIFIER,
                            identifier: None,
                        },
                        a.clone(),
                    ),
                    (
                        EndpointQualifier {
                            r#type: CLIENT_QUALIFIER,
                            identifier: None,
                        },
                        a,
                    ),
                ]),
            })
        })
        .collect()
}

/// Partitions owned by each listening member.
pub(crate) fn partitions(engine: &Engine) -> Vec<(Uuid, Vec<i32>)> {
    let table = engine.partition_table();
    engine
        .members()
        .into_iter()
        .filter(|m| m.address.is_some())
        .map(|m| {
            let owned = table
                .owned_by(m.uuid)
                .into_iter()
                .filter_map(|p| i32::try_from(p).ok())
                .collect();
            (m.uuid, owned)
        })
        .filter(|(_, owned): &(Uuid, Vec<i32>)| !owned.is_empty())
        .collect()
}

/// The MembersView and PartitionsView events for the current cluster state.
pub(crate) fn events(engine: &Engine) -> (Message, Message) {
    let members = ClientAddClusterViewListenerMembersViewEvent {
        version: engine.member_list_version(),
        member_infos: member_infos(engine),
    }
    .encode();
    let parts = ClientAddClusterViewListenerPartitionsViewEvent {
        version: engine.partition_table().version,
        partitions: partitions(engine),
    }
    .encode();
    (members, parts)
}
