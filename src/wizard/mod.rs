//! The pure core of the journey: state + event -> new state + effects. No I/O, no clock, no
//! terminal, no tokio, no AWS SDK: the runtime runs the effects, the views render the state.

pub(crate) mod actions;
pub mod state;
pub(crate) mod steps;
pub mod update;

pub use actions::Action;
pub use state::{Journey, Mode, Phase, PhaseStep, Status, Stop};
pub use steps::{StepId, StepKind};
pub use update::{Effect, Event, update};
