//! One DNS question, one answer: builds the query with hickory-proto, sends it over UDP, retries
//! over TCP when the answer is truncated, and checks that the answer belongs to the question.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::{Instant, timeout_at};

/// The EDNS buffer size siteup advertises (the DNS flag day 2020 value).
pub const EDNS_PAYLOAD: u16 = 1232;

/// Why a query got no usable answer. Each variant reads as the end of "the server ...".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("did not answer within {}", crate::words::duration(*.0, crate::words::DurationStyle::Seconds))]
    Timeout(Duration),
    #[error("refused the connection (nothing listens on that port)")]
    ConnectionRefused,
    #[error("could not be reached ({0})")]
    Network(String),
    #[error("sent an answer siteup cannot read ({0})")]
    Malformed(String),
    #[error("was not asked: siteup stays on loopback when SITEUP_DNS_ROOT names loopback servers")]
    NotLoopback,
    #[error("was not asked: the check ran out of time")]
    OutOfTime,
    #[error("was not asked: the check already sent as many queries as it allows itself")]
    OverBudget,
}

/// How the answer arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

/// An answer and how it came.
#[derive(Debug, Clone)]
pub struct Answer {
    pub message: Message,
    pub transport: Transport,
}

/// Builds a query for `name`/`rtype` with RD set as asked, EDNS with a 1232-byte buffer.
pub fn build_query(id: u16, name: &Name, rtype: RecordType, recursion_desired: bool) -> Message {
    let mut msg = Message::new(id, MessageType::Query, OpCode::Query);
    msg.metadata.recursion_desired = recursion_desired;
    msg.add_query(Query::query(name.clone(), rtype));
    let mut edns = Edns::new();
    edns.set_max_payload(EDNS_PAYLOAD);
    msg.set_edns(edns);
    msg
}

/// Asks `server` one question: UDP first, TCP when the UDP answer has TC set. Waits at most
/// `wait` (and never past `deadline`).
pub async fn query(
    server: SocketAddr,
    name: &Name,
    rtype: RecordType,
    recursion_desired: bool,
    wait: Duration,
    deadline: Option<Instant>,
) -> Result<Answer, QueryError> {
    let now = Instant::now();
    let mut until = now + wait;
    if let Some(d) = deadline {
        if d <= now {
            return Err(QueryError::OutOfTime);
        }
        until = until.min(d);
    }
    let id: u16 = rand::random();
    let request = build_query(id, name, rtype, recursion_desired);
    let bytes = request
        .to_vec()
        .map_err(|e| QueryError::Malformed(format!("the query could not be encoded: {e}")))?;
    let message = match timeout_at(until, udp_exchange(server, &bytes, id, name, rtype)).await {
        Ok(result) => result?,
        Err(_) => return Err(QueryError::Timeout(wait)),
    };
    if !message.metadata.truncation {
        return Ok(Answer {
            message,
            transport: Transport::Udp,
        });
    }
    match timeout_at(until, tcp_exchange(server, &bytes, id, name, rtype)).await {
        Ok(result) => result.map(|message| Answer {
            message,
            transport: Transport::Tcp,
        }),
        Err(_) => Err(QueryError::Timeout(wait)),
    }
}

fn io_error(e: std::io::Error) -> QueryError {
    if e.kind() == std::io::ErrorKind::ConnectionRefused {
        QueryError::ConnectionRefused
    } else {
        QueryError::Network(e.to_string())
    }
}

async fn udp_exchange(
    server: SocketAddr,
    request: &[u8],
    id: u16,
    name: &Name,
    rtype: RecordType,
) -> Result<Message, QueryError> {
    let bind: SocketAddr = if server.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    let socket = UdpSocket::bind(bind).await.map_err(io_error)?;
    socket.connect(server).await.map_err(io_error)?;
    socket.send(request).await.map_err(io_error)?;
    let mut buf = vec![0u8; 65535];
    loop {
        let len = socket.recv(&mut buf).await.map_err(io_error)?;
        // A datagram that is not the answer to this question (late answer to an earlier query,
        // spoofing attempt, garbage) is ignored: keep waiting for the real one.
        let Ok(message) = Message::from_vec(&buf[..len]) else {
            continue;
        };
        if matches_question(&message, id, name, rtype) {
            return Ok(message);
        }
    }
}

async fn tcp_exchange(
    server: SocketAddr,
    request: &[u8],
    id: u16,
    name: &Name,
    rtype: RecordType,
) -> Result<Message, QueryError> {
    let mut stream = TcpStream::connect(server).await.map_err(io_error)?;
    let len = u16::try_from(request.len())
        .map_err(|_| QueryError::Malformed("the query is too long".to_string()))?;
    let mut framed = Vec::with_capacity(request.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(request);
    stream.write_all(&framed).await.map_err(io_error)?;
    let mut len_buf = [0u8; 2];
    stream
        .read_exact(&mut len_buf)
        .await
        .map_err(|e| QueryError::Network(format!("the TCP connection closed early: {e}")))?;
    let mut body = vec![0u8; usize::from(u16::from_be_bytes(len_buf))];
    stream
        .read_exact(&mut body)
        .await
        .map_err(|e| QueryError::Network(format!("the TCP connection closed early: {e}")))?;
    let message =
        Message::from_vec(&body).map_err(|e| QueryError::Malformed(format!("over TCP: {e}")))?;
    if matches_question(&message, id, name, rtype) {
        Ok(message)
    } else {
        Err(QueryError::Malformed(
            "over TCP, the answer was for another question".to_string(),
        ))
    }
}

fn matches_question(message: &Message, id: u16, name: &Name, rtype: RecordType) -> bool {
    if message.metadata.id != id || message.metadata.message_type != MessageType::Response {
        return false;
    }
    match message.queries.first() {
        Some(q) => q.query_type() == rtype && q.name().eq_ignore_root_case(name),
        // Some servers answer FORMERR/REFUSED without the question; accept an error code then.
        None => message.metadata.response_code != hickory_proto::op::ResponseCode::NoError,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_is_non_recursive_with_edns() {
        let name = Name::from_ascii("example.com.").expect("name");
        let msg = build_query(7, &name, RecordType::NS, false);
        assert!(!msg.metadata.recursion_desired);
        assert_eq!(
            msg.edns.as_ref().map(hickory_proto::op::Edns::max_payload),
            Some(EDNS_PAYLOAD)
        );
        let bytes = msg.to_vec().expect("encode");
        let back = Message::from_vec(&bytes).expect("decode");
        assert_eq!(back.queries[0].query_type(), RecordType::NS);
        assert!(!back.metadata.recursion_desired);
    }

    #[tokio::test]
    async fn closed_port_is_reported_as_refused_or_timeout() {
        // Bind and drop to get a port that is very likely closed.
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .expect("bind")
            .port();
        let name = Name::from_ascii("example.com.").expect("name");
        let err = query(
            SocketAddr::from(([127, 0, 0, 1], port)),
            &name,
            RecordType::NS,
            false,
            Duration::from_millis(300),
            None,
        )
        .await
        .expect_err("nothing listens");
        assert!(
            matches!(err, QueryError::ConnectionRefused | QueryError::Timeout(_)),
            "{err:?}"
        );
    }
}
