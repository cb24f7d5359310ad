//! Native tests of the sync loop.
