//! Compiles the `.proto` files with protox (no system `protoc`) and hands the
//! descriptor set to tonic-prost-build for client and server code.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = ["lightning.proto", "invoices.proto", "router.proto", "verrpc.proto"];
    for file in files {
        println!("cargo:rerun-if-changed={file}");
    }
    let descriptors = protox::compile(files, ["."])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
