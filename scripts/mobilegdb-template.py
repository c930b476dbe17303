import sqlite3
f='/work/wt-mobilegdb/TestData/mobilegdb/procaching_data_Pro2.8_10.9.0.geodatabase'
db=sqlite3.connect('file:%s?mode=ro&immutable=1'%f, uri=True)
def lit(s): 
    assert '"#' not in s
    return '#"' + s + '"#'
out=[]
out.append('// Generated from TestData/mobilegdb/procaching_data_Pro2.8_10.9.0.geodatabase (ArcGIS Pro 2.8,')
out.append('// GDB_Version 10.9.0) by the script in the commit that added it: the catalog as ArcGIS creates it.')
out.append('// GDB_ServiceItems, which that file lacks, is the one of a feature-service replica (10.5.1).')
out.append('')
out.append('/// The system part of a mobile geodatabase as ArcGIS Pro 2.8 (10.9) creates it: the statements in')
out.append('/// `sqlite_master` order, and the constant rows of its catalog tables.')
out.append('enum Pro28Template {')
rows=db.execute("select type,name,tbl_name,sql from sqlite_master where sql is not null and (tbl_name like 'GDB_%' or (tbl_name like 'st_%' and tbl_name not like 'st_spindex%') or name='st_spindex__GDB_Items_Shape') order by rowid").fetchall()
out.append('    /// `(type, name, sql)` of every system object, in creation order. Virtual tables of Esri\'s own')
out.append('    /// modules (VSRS, VTSpindex) cannot be created without them: they are entered into `sqlite_master`')
out.append('    /// directly, at the end. Triggers are created after the rows are in.')
out.append('    static let objects: [(type: String, name: String, sql: String)] = [')
for t,n,tb,s in rows:
    out.append('        (%s, %s, %s),' % (lit(t), lit(n), lit(s)))
out.append('    ]')
# GDB_ServiceItems from canyonlands
c=sqlite3.connect('file:/work/wt-mobilegdb/TestData/mobilegdb/canyonlands_3b1fef0d.geodatabase?mode=ro&immutable=1', uri=True)
s=c.execute("select sql from sqlite_master where name='GDB_ServiceItems'").fetchone()[0]
out.append('    /// GDB_ServiceItems as ArcGIS creates it in a feature-service replica (10.5.1 and later).')
out.append('    static let serviceItemsSQL = %s' % lit(s))
def rowsof(sql):
    return db.execute(sql).fetchall()
out.append('    /// GDB_ItemTypes: (UUID, Name, ParentTypeID) in ObjectID order.')
out.append('    static let itemTypes: [(String, String, String)] = [')
for r in rowsof('select UUID,Name,ParentTypeID from GDB_ItemTypes order by ObjectID'):
    out.append('        (%s, %s, %s),' % tuple(lit(x) for x in r))
out.append('    ]')
out.append('    /// GDB_ItemRelationshipTypes: (UUID, Name, ForwardLabel, BackwardLabel, OrigItemTypeID, DestItemTypeID, IsContainment).')
out.append('    static let itemRelationshipTypes: [(String, String, String, String, String, String, Int64)] = [')
for r in rowsof('select UUID,Name,ForwardLabel,BackwardLabel,OrigItemTypeID,DestItemTypeID,IsContainment from GDB_ItemRelationshipTypes order by ObjectID'):
    out.append('        (%s, %s, %s, %s, %s, %s, %d),' % (tuple(lit(x) for x in r[:6]) + (r[6],)))
out.append('    ]')
out.append('    /// GDB_ColumnRegistry rows of the system tables: (table, column, sde_type, column_size, object_flags, object_id).')
out.append('    static let systemColumns: [(String, String, Int64, Int64?, Int64, Int64?)] = [')
for r in rowsof("select table_name,column_name,sde_type,column_size,object_flags,object_id from GDB_ColumnRegistry where table_name like 'GDB_%' order by rowid"):
    out.append('        (%s, %s, %d, %s, %d, %s),' % (lit(r[0]), lit(r[1]), r[2], 'nil' if r[3] is None else str(r[3]), r[4], 'nil' if r[5] is None else str(r[5])))
out.append('    ]')
out.append('    /// GDB_TableRegistry rows of the system tables: (table, rowid column, object_flags).')
out.append('    static let systemTables: [(String, String?, Int64)] = [')
for r in rowsof("select table_name,rowid_column,object_flags from GDB_TableRegistry where table_name like 'GDB_%' order by registration_id"):
    out.append('        (%s, %s, %d),' % (lit(r[0]), 'nil' if r[1] is None else lit(r[1]), r[2]))
out.append('    ]')
out.append('    /// The workspace item\'s definition.')
out.append('    static let workspaceDefinition = %s' % lit(db.execute('select Definition from GDB_Items where ObjectID=2').fetchone()[0]))
out.append('}')
open('/work/wt-mobilegdb/Sources/ReplicaExport/Writing/MobileGeodatabase/Pro28Template.swift','w').write('\n'.join(out)+'\n')
